/** One scripted event: emitted `atMs` after the trace starts, as `emit(name, payload)`. */
export type TraceStep = { atMs: number; name: string; payload: Record<string, unknown> };

/**
 * A scripted agent trace: steps ordered by `atMs`. `sessionKey` names the payload field that
 * carries each step's session (default `"callId"`); steps without it belong to no session.
 */
export type Trace = { name: string; steps: TraceStep[]; sessionKey?: string };

/** An event as published to a hub: the step's payload plus its name under `event`. */
export type AgentEvent = { event: string; [field: string]: unknown };

/** The session field of a trace: its `sessionKey`, or `"callId"`. */
export function sessionKeyOf(trace: Trace): string {
  return trace.sessionKey ?? "callId";
}

/** The flat, ordered list of `{ event: name, ...payload }` objects a replay of `trace` emits. */
export function traceEvents(trace: Trace): AgentEvent[] {
  return trace.steps.map((step) => ({ event: step.name, ...step.payload }));
}

/** The distinct event names of a trace, in order of first appearance. */
export function eventNames(trace: Trace): string[] {
  return [...new Set(trace.steps.map((step) => step.name))];
}

/** The distinct session ids of a trace, in order of first appearance. */
export function sessionIds(trace: Trace): string[] {
  const key = sessionKeyOf(trace);
  const ids = trace.steps.map((step) => step.payload[key]).filter((id) => typeof id === "string");
  return [...new Set(ids)];
}

/**
 * A copy of `trace` whose session field is called `key` (e.g. `"sessionId"`, the hub's default),
 * keeping each payload's field order.
 */
export function withSessionKey(trace: Trace, key: string): Trace {
  const from = sessionKeyOf(trace);
  const rename = (payload: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(payload).map(([k, v]) => [k === from ? key : k, v]));
  return { ...trace, sessionKey: key, steps: trace.steps.map((s) => ({ ...s, payload: rename(s.payload) })) };
}

/**
 * A copy of `trace` for replay round `round`: session ids and `toolCallId`s get the suffix
 * `_r<round>` (`CA_1001` becomes `CA_1001_r2`), so every round is made of fresh sessions.
 * Round 0 returns the trace as it is.
 */
export function renewIds(trace: Trace, round: number): Trace {
  if (round === 0) return trace;
  const keys = [sessionKeyOf(trace), "toolCallId"];
  const renew = (payload: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(payload).map(([k, v]) => [k, keys.includes(k) && typeof v === "string" ? `${v}_r${round}` : v]),
    );
  return { ...trace, steps: trace.steps.map((s) => ({ ...s, payload: renew(s.payload) })) };
}

// ---------------------------------------------------------------------------------------------
// Building scripted sessions

interface Turn {
  user: string;
  tool?: { name: string; args: Record<string, unknown>; result: unknown };
  reply: string;
}

interface SessionScript {
  key: string;
  id: string;
  /** Fields every step of the session carries besides its id (a call's tenant, `orgId`). */
  fields?: Record<string, unknown>;
  atMs: number;
  started: { name: string; payload: Record<string, unknown> };
  turns: Turn[];
  ended: { name: string; reason: string };
}

/** A deterministic gap between spoken words, 60–120 ms. */
const wordGap = (i: number, salt: number): number => 60 + ((i * 37 + salt * 11) % 61);

function scriptSession(s: SessionScript): TraceStep[] {
  const steps: TraceStep[] = [];
  let t = s.atMs;
  const add = (gap: number, name: string, payload: Record<string, unknown>): void => {
    t += gap;
    steps.push({ atMs: t, name, payload: { [s.key]: s.id, ...s.fields, ...payload } });
  };
  add(0, s.started.name, s.started.payload);
  s.turns.forEach((turn, n) => {
    add(n === 0 ? 280 : 450, "user.message", { text: turn.user });
    if (turn.tool) {
      const toolCallId = `tc_${s.id}_${n + 1}`;
      add(160, "llm.tool_call", { toolCallId, name: turn.tool.name, args: turn.tool.args });
      add(240, "llm.tool_result", { toolCallId, name: turn.tool.name, result: turn.tool.result });
    }
    turn.reply.split(" ").forEach((word, index) => {
      add(index === 0 ? 150 : wordGap(index, s.atMs), "bot.word", { word, index, turn: n + 1 });
    });
  });
  add(300, s.ended.name, { reason: s.ended.reason, durationMs: t + 300 - s.atMs });
  return steps;
}

/** Merges steps into one time-ordered list (stable: equal times keep their input order). */
function merge(...groups: TraceStep[][]): TraceStep[] {
  return groups.flat().sort((a, b) => a.atMs - b.atMs);
}

/** Session-less `system.metrics` every second while any session is open. */
function metrics(sessions: TraceStep[][], everyMs: number): TraceStep[] {
  const spans = sessions.map((s) => [s[0]?.atMs ?? 0, s.at(-1)?.atMs ?? 0] as const);
  const end = Math.max(...spans.map(([, to]) => to));
  const steps: TraceStep[] = [];
  for (let t = everyMs, n = 1; t < end; t += everyMs, n++) {
    const active = spans.filter(([from, to]) => from <= t && t < to).length;
    steps.push({ atMs: t, name: "system.metrics", payload: { active, cpu: Math.round((0.2 + n * 0.05) * 100) / 100, heapMb: 48 + n * 3 } });
  }
  return steps;
}

/** A call of tenant `orgId`: every one of its events carries it (the hub's `scopes: { tenant: "orgId" }`). */
const call = (
  id: string,
  orgId: string,
  atMs: number,
  route: { from: string; to: string; agent: string },
  turns: Turn[],
  reason: string,
): TraceStep[] =>
  scriptSession({ key: "callId", id, fields: { orgId }, atMs, started: { name: "call.started", payload: route }, turns, ended: { name: "call.ended", reason } });

const calls = [
  call("CA_1001", "acme", 0, { from: "+14155550101", to: "+14155550100", agent: "pines" }, [
    {
      user: "Hi, what's the weather in Lisbon tomorrow?",
      tool: { name: "get_weather", args: { location: "Lisbon", day: "tomorrow" }, result: { tempC: 22, conditions: "sunny" } },
      reply: "Tomorrow in Lisbon it will be sunny and around twenty two degrees.",
    },
  ], "hangup"),
  call("CA_1002", "globex", 350, { from: "+447700900123", to: "+14155550100", agent: "pines" }, [
    {
      user: "I need to move my appointment to Friday.",
      tool: { name: "reschedule_appointment", args: { appointmentId: "APT-77", day: "Friday" }, result: { ok: true, slot: "Friday 10:30" } },
      reply: "Done, your appointment is now on Friday at ten thirty.",
    },
    { user: "Thanks, that's all.", reply: "You're welcome, have a nice day!" },
  ], "completed"),
  call("CA_1003", "acme", 800, { from: "+34600111222", to: "+34910000000", agent: "julia" }, [
    {
      user: "Can you open the gate for a delivery?",
      tool: { name: "open_gate", args: { gate: "main" }, result: { opened: true } },
      reply: "The main gate is open, the courier can come in now.",
    },
  ], "agent_hangup"),
];

/**
 * Three overlapping phone calls (`callId` CA_1001…CA_1003, about 3.5 s in all), each
 * `call.started` → `user.message` → `llm.tool_call` → `llm.tool_result` → `bot.word`… → `call.ended`,
 * interleaved in time, with session-less `agent.status` and `system.metrics` events. Calls belong
 * to two tenants: every event of CA_1001 and CA_1003 carries `orgId: "acme"`, of CA_1002
 * `orgId: "globex"`; the session-less events carry none.
 */
export const overlappingCalls: Trace = {
  name: "overlapping-calls",
  sessionKey: "callId",
  steps: merge(
    [{ atMs: 0, name: "agent.status", payload: { agent: "pines", status: "ready" } }],
    ...calls,
    metrics(calls, 1000),
    [{ atMs: Math.max(...calls.map((c) => c.at(-1)?.atMs ?? 0)) + 200, name: "agent.status", payload: { agent: "pines", status: "idle" } }],
  ),
};

const chat = (id: string, atMs: number, userId: string, turns: Turn[]): TraceStep[] =>
  scriptSession({
    key: "conversationId",
    id,
    atMs,
    started: { name: "conversation.started", payload: { channel: "chat", agent: "nova", userId } },
    turns,
    ended: { name: "conversation.ended", reason: "user_left" },
  });

const chats = [
  chat("conv_2001", 0, "u_alice", [
    {
      user: "Where is my order 5521?",
      tool: { name: "lookup_order", args: { orderId: "5521" }, result: { status: "shipped", eta: "Thursday" } },
      reply: "Your order 5521 has shipped and should arrive on Thursday.",
    },
    { user: "Great, thanks!", reply: "Anytime, enjoy your purchase." },
  ]),
  chat("conv_2002", 600, "u_bob", [{ user: "Do you ship to Canada?", reply: "Yes, we ship to Canada in five to seven days." }]),
];

/**
 * Two overlapping chat conversations (session field `conversationId`: conv_2001, conv_2002),
 * `conversation.started` → turns of `user.message`, tool calls and `bot.word`s → `conversation.ended`,
 * plus session-less `agent.status` and `system.metrics`.
 */
export const chatConversation: Trace = {
  name: "chat-conversation",
  sessionKey: "conversationId",
  steps: merge(
    [{ atMs: 0, name: "agent.status", payload: { agent: "nova", status: "ready" } }],
    ...chats,
    metrics(chats, 1000),
  ),
};

/** Every scripted trace, by name. */
export const traces: Record<string, Trace> = {
  [overlappingCalls.name]: overlappingCalls,
  [chatConversation.name]: chatConversation,
};

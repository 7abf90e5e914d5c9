import { overlappingCalls, traceEvents, type AgentEvent } from "@eventwire/test-fixtures";

/**
 * What the demo agent emits, computed from the trace it replays (`overlappingCalls`, looped by
 * `FakeAgent`): round N of the loop renames `CA_1001` to `CA_1001_rN` and changes nothing else, so
 * every call on screen or on the wire can be checked against its script, word for word.
 */

/** `CA_1002_r7` → `CA_1002`. */
export const scriptedId = (callId: string): string => callId.replace(/_r\d+$/, "");

/** Every event of one call, in the order the agent emits them, with `callId` set to `callId`. */
export function scriptedEvents(callId: string): AgentEvent[] {
  const base = scriptedId(callId);
  const events = traceEvents(overlappingCalls).filter((event) => event.callId === base);
  if (events.length === 0) throw new Error(`no call ${base} in the trace (from ${callId})`);
  return events.map((event) => ({ ...event, callId, ...(event.toolCallId ? { toolCallId: `${event.toolCallId}${callId.slice(base.length)}` } : {}) }));
}

/** One call as the dashboard draws it. */
export interface DrawnCall {
  callId: string;
  state: string;
  /** The call's customer (its events' `orgId`). */
  org: string;
  agent: string;
  from: string;
  callerLines: string[];
  tools: { name: string; result: string | null }[];
  /** The agent's replies: each turn's number and its words, in order. */
  replies: { turn: number; words: string[] }[];
  anomaly: boolean;
}

/**
 * Every way the dashboard may correctly draw `callId`: after each of its events in turn (its first,
 * its first two, ... all of them). A drawing that is none of these has lost, doubled or reordered
 * something.
 */
export function correctDrawings(callId: string): DrawnCall[] {
  const events = scriptedEvents(callId);
  return events.map((_, index) => drawingAfter(events.slice(0, index + 1)));
}

/** The call as the dashboard draws it once it has applied `events` (a prefix of the call's events). */
function drawingAfter(events: AgentEvent[]): DrawnCall {
  const started = events[0]!;
  const replies: DrawnCall["replies"] = [];
  for (const word of events.filter((event) => event.event === "bot.word")) {
    const turn = word.turn as number;
    if (replies.at(-1)?.turn !== turn) replies.push({ turn, words: [] });
    replies.at(-1)!.words.push(word.word as string);
  }
  const result = (toolCallId: unknown) => events.find((event) => event.event === "llm.tool_result" && event.toolCallId === toolCallId);
  return {
    callId: started.callId as string,
    state: events.some((event) => event.event === "call.ended") ? "ended" : "live",
    org: started.orgId as string,
    agent: started.agent as string,
    from: started.from as string,
    callerLines: events.filter((event) => event.event === "user.message").map((event) => event.text as string),
    tools: events
      .filter((event) => event.event === "llm.tool_call")
      .map((event) => {
        const answer = result(event.toolCallId);
        return { name: event.name as string, result: answer ? formatFields(answer.result) : null };
      }),
    replies,
    anomaly: false,
  };
}

/** As the dashboard formats tool arguments and results: `tempC: 22, conditions: "sunny"`. */
export function formatFields(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  return Object.entries(value)
    .map(([key, field]) => `${key}: ${JSON.stringify(field)}`)
    .join(", ");
}

import type { Trace, TraceStep } from "./traces.js";

/** Options of {@link randomInterleaving}. */
export interface RandomInterleavingOptions {
  /** How many sessions (calls) run at once. */
  sessions: number;
  /** How many events in all, session-less ones included; at least 2 per session. */
  events: number;
  /** The same seed gives the same trace. Default 1. */
  seed?: number;
  /** The session field. Default `"callId"`. */
  sessionKey?: string;
  /** Prefix of session ids, numbered from 1. Default `"CA_"`. */
  idPrefix?: string;
  /** Share of events without a session (`system.metrics`). Default 0.02. */
  sessionlessRatio?: number;
  /** Largest gap between two consecutive steps, in ms. Default 2. */
  maxGapMs?: number;
}

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = "sure let me check that for you it looks like everything is ready now thanks".split(" ");
const TEXTS = ["Hello?", "What's my balance?", "Can you repeat that?", "Book a table for two.", "Thanks, bye."];
const TOOLS = ["get_weather", "lookup_order", "book_table", "transfer_call"];

interface SessionState {
  id: string;
  total: number;
  emitted: number;
  turn: number;
  word: number;
  tools: number;
  pendingTool: { toolCallId: string; name: string } | undefined;
}

/**
 * A large, deterministic random interleaving of `sessions` calls for load, isolation and
 * benchmark tests. Each session is `call.started`, then `user.message`, `bot.word`,
 * `llm.tool_call` (always followed by its `llm.tool_result`), and ends with `call.ended`; the
 * sessions' steps are shuffled together uniformly, each session keeping its own order.
 */
export function randomInterleaving(options: RandomInterleavingOptions): Trace {
  const { sessions, events, seed = 1, sessionKey = "callId", idPrefix = "CA_" } = options;
  const { sessionlessRatio = 0.02, maxGapMs = 2 } = options;
  if (!Number.isInteger(sessions) || sessions < 1) throw new RangeError("sessions must be a positive integer");
  if (!Number.isInteger(events)) throw new RangeError("events must be an integer");
  if (!(sessionlessRatio >= 0 && sessionlessRatio < 1)) throw new RangeError("sessionlessRatio must be in [0, 1)");
  const sessionless = Math.round(events * sessionlessRatio);
  const inSessions = events - sessionless;
  if (inSessions < sessions * 2) throw new RangeError(`${events} events are too few for ${sessions} sessions`);

  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

  // One slot per event: a session index, or -1 for a session-less event; then shuffle the slots.
  const states: SessionState[] = [];
  const slots: number[] = [];
  for (let i = 0; i < sessions; i++) {
    const total = Math.floor(inSessions / sessions) + (i < inSessions % sessions ? 1 : 0);
    states.push({ id: `${idPrefix}${i + 1}`, total, emitted: 0, turn: 0, word: 0, tools: 0, pendingTool: undefined });
    for (let n = 0; n < total; n++) slots.push(i);
  }
  for (let n = 0; n < sessionless; n++) slots.push(-1);
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [slots[i], slots[j]] = [slots[j] as number, slots[i] as number];
  }

  const open = new Set<string>();
  let atMs = 0;
  let metric = 0;
  const steps: TraceStep[] = slots.map((slot) => {
    atMs += Math.floor(random() * (maxGapMs + 1));
    const state = states[slot];
    if (!state) {
      return { atMs, name: "system.metrics", payload: { seq: ++metric, active: open.size, cpu: Math.round(random() * 100) / 100 } };
    }
    const { name, payload } = nextEvent(state, random, pick);
    if (name === "call.started") open.add(state.id);
    if (name === "call.ended") open.delete(state.id);
    return { atMs, name, payload: { [sessionKey]: state.id, ...payload } };
  });
  return { name: `random-${sessions}x${events}-seed${seed}`, sessionKey, steps };
}

function nextEvent(
  s: SessionState,
  random: () => number,
  pick: <T>(list: readonly T[]) => T,
): { name: string; payload: Record<string, unknown> } {
  const n = s.emitted++;
  if (n === 0) return { name: "call.started", payload: { from: `+1555${s.id.replace(/\D/g, "").padStart(7, "0").slice(-7)}`, to: "+15550000000", agent: "bench" } };
  if (n === s.total - 1) return { name: "call.ended", payload: { reason: "hangup", turns: s.turn } };
  if (s.pendingTool) {
    const { toolCallId, name } = s.pendingTool;
    s.pendingTool = undefined;
    return { name: "llm.tool_result", payload: { toolCallId, name, result: { ok: true } } };
  }
  const bodyLeft = s.total - 1 - n; // body slots left, this one included
  const r = random();
  if (s.turn === 0 || r < 0.08) {
    s.turn++;
    s.word = 0;
    return { name: "user.message", payload: { text: pick(TEXTS) } };
  }
  if (r < 0.12 && bodyLeft >= 2) {
    s.pendingTool = { toolCallId: `tc_${s.id}_${++s.tools}`, name: pick(TOOLS) };
    return { name: "llm.tool_call", payload: { ...s.pendingTool, args: { turn: s.turn } } };
  }
  return { name: "bot.word", payload: { word: pick(WORDS), index: s.word++, turn: s.turn } };
}

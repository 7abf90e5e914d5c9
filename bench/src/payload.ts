import { randomInterleaving, traceEvents, type AgentEvent } from "@eventwire/test-fixtures";

/** Payload sizes of the matrix: the published JSON is about this many bytes. */
export type PayloadSize = 100 | 1000;

/**
 * A benchmark event: a real agent event from the fixtures, with the sequence number `s` and the
 * publish time `t` (µs on the machine's monotonic clock, shared by every process) right after
 * `event`, so a client finds them near the start of every message whatever the framing.
 */
export type BenchEvent = AgentEvent & { s: number; t: number };

/** Microseconds on CLOCK_MONOTONIC: the same clock in the server and the load generator. */
export function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1e3);
}

const trace = randomInterleaving({ sessions: 4, events: 400, seed: 7 });
const events = traceEvents(trace);

/**
 * Makes the events of one payload size: `make(seq)` returns a fresh object each call, as an
 * application would build it. ~100 B is a `bot.word`; ~1 KB an `llm.tool_result` whose result
 * carries text from the trace.
 */
export function payloadMaker(size: PayloadSize): (seq: number) => BenchEvent {
  if (size === 100) {
    const { event, ...rest } = events.find((e) => e.event === "bot.word")!;
    return (seq) => ({ event, s: seq, t: nowUs(), ...rest });
  }
  const { event, ...rest } = events.find((e) => e.event === "llm.tool_result")!;
  const words = events.filter((e) => e.event === "bot.word").map((e) => String(e.word));
  const probe = JSON.stringify({ event, s: 1_000_000, t: nowUs(), ...rest, result: { ok: true, text: "" } });
  let text = "";
  for (let i = 0; text.length < size - probe.length; i++) text += (text ? " " : "") + words[i % words.length];
  text = text.slice(0, size - probe.length);
  return (seq) => ({ event, s: seq, t: nowUs(), ...rest, result: { ok: true, text } });
}

const S = 0x22; // '"'
/** Byte pattern `"s":` that starts the stamp in every benchmark message. */
export const stampMarker = Buffer.from('"s":');

/**
 * Reads `"s":<seq>,"t":<us>` at `at` (the index of the marker) in `buf`. Returns false if the bytes
 * there are not a whole stamp; otherwise leaves seq and t in `out`.
 */
export function readStamp(buf: Buffer, at: number, end: number, out: { seq: number; t: number }): boolean {
  let i = at + 4;
  let seq = 0;
  let c = 0;
  while (i < end && (c = buf[i]!) >= 0x30 && c <= 0x39) {
    seq = seq * 10 + (c - 0x30);
    i++;
  }
  // ,"t":
  if (i + 5 > end || buf[i] !== 0x2c || buf[i + 1] !== S || buf[i + 2] !== 0x74 || buf[i + 3] !== S || buf[i + 4] !== 0x3a) return false;
  i += 5;
  let t = 0;
  while (i < end && (c = buf[i]!) >= 0x30 && c <= 0x39) {
    t = t * 10 + (c - 0x30);
    i++;
  }
  if (i >= end) return false;
  out.seq = seq;
  out.t = t;
  return true;
}

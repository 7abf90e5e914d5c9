/**
 * Redis stream entry ids are `<ms>-<seq>`, two unsigned 64-bit decimals, assigned in the stream's
 * order. They never repeat within one stream, even across a restart, but a stream created anew
 * (deleted, flushed) starts again from Redis's clock: the bus's event ids add the epoch (event-id.ts).
 */

const STREAM_ID = /^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})$/;
const U64_MAX = 2n ** 64n - 1n;

/** True for a well-formed stream id Redis could have issued (`0-0` never is). */
export function isStreamId(id: string): boolean {
  const match = STREAM_ID.exec(id);
  if (!match) return false;
  const [, ms, seq] = match as unknown as [string, string, string];
  if (ms === "0" && seq === "0") return false;
  if (ms.length < 20 && seq.length < 20) return true;
  return BigInt(ms) <= U64_MAX && BigInt(seq) <= U64_MAX;
}

/** Orders two stream ids numerically, part by part: negative, zero or positive. */
export function compareStreamIds(a: string, b: string): number {
  const dashA = a.indexOf("-");
  const dashB = b.indexOf("-");
  if (dashA < 0 || dashB < 0) return a < b ? -1 : a > b ? 1 : 0;
  return (
    compareDecimals(a.slice(0, dashA), b.slice(0, dashB)) ||
    compareDecimals(a.slice(dashA + 1), b.slice(dashB + 1))
  );
}

/** The millisecond part of a stream id (Redis's clock when it added the entry). */
export function streamIdTime(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/** Compares two decimals without leading zeros, of any length. */
function compareDecimals(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

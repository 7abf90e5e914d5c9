/**
 * Event ids are `<epoch>-<seq>`: `seq` is the JetStream stream sequence, and `epoch` the stream's
 * creation time (nanoseconds, base 36, as the server reports it). The sequence alone restarts at 1
 * when the stream is deleted and created again (or a server with memory storage restarts), so an
 * id from the earlier stream would point at an unrelated event; with the epoch it is recognised as
 * an earlier history's, and resumed with a gap whose reason is `reset`.
 */

// Sequence 0 is the cursor of a stream that has stored nothing yet (the position before its first message).
const EVENT_ID = /^([1-9a-z][0-9a-z]{0,12})-(0|[1-9][0-9]{0,15})$/;

/** An RFC 3339 timestamp: the part Date.parse reads, the fraction of a second, the zone. */
const TIMESTAMP = /^([^.]+?)(?:\.(\d{1,9})\d*)?(Z|[+-]\d\d:\d\d)$/;

export interface ParsedEventId {
  readonly epoch: string;
  readonly seq: number;
}

/**
 * The epoch of a stream created at `created` (its StreamInfo's RFC 3339 timestamp, to the
 * nanosecond), so that even a stream deleted and created again within a millisecond has another.
 */
export function streamEpoch(created: string): string {
  const match = TIMESTAMP.exec(created);
  const ms = match ? Date.parse(`${match[1]}${match[3]}`) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) return "0";
  const ns = BigInt(ms) * 1_000_000n + BigInt((match![2] ?? "").padEnd(9, "0"));
  return ns.toString(36);
}

export function formatEventId(epoch: string, seq: number): string {
  return `${epoch}-${seq}`;
}

/** The parts of an id this bus issued, or undefined for any other string. */
export function parseEventId(id: string): ParsedEventId | undefined {
  const match = EVENT_ID.exec(id);
  if (!match) return undefined;
  const seq = Number(match[2]);
  return Number.isSafeInteger(seq) ? { epoch: match[1]!, seq } : undefined;
}

/** Orders epochs: an earlier stream's first (base 36 without leading zeros: by length, then characters). */
export function compareEpochs(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** Orders ids: by stream epoch (an older stream first), then by sequence. */
export function compareEventIds(a: string, b: string): number {
  const pa = parseEventId(a);
  const pb = parseEventId(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  return compareEpochs(pa.epoch, pb.epoch) || pa.seq - pb.seq;
}

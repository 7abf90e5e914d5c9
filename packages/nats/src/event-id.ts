/**
 * Event ids are `<epoch>-<seq>`: `seq` is the JetStream stream sequence, and `epoch` the stream's
 * creation time (milliseconds, base 36). The sequence alone restarts at 1 when the stream is
 * deleted and created again (or a server with memory storage restarts), so an id from the
 * earlier stream would point at an unrelated event; with the epoch it is recognised as
 * another run's, and resumed with a gap.
 */

// Sequence 0 is the cursor of a stream that has stored nothing yet (the position before its first message).
const EVENT_ID = /^([0-9a-z]{1,11})-(0|[1-9][0-9]{0,15})$/;

export interface ParsedEventId {
  readonly epoch: string;
  readonly seq: number;
}

/** The epoch of a stream created at `created` (its StreamInfo's RFC 3339 timestamp). */
export function streamEpoch(created: string): string {
  const ms = Date.parse(created);
  return Number.isFinite(ms) && ms > 0 ? ms.toString(36) : "0";
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

/** Orders ids: by stream epoch (an older stream first), then by sequence. */
export function compareEventIds(a: string, b: string): number {
  const pa = parseEventId(a);
  const pb = parseEventId(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.epoch !== pb.epoch) {
    return pa.epoch.length !== pb.epoch.length ? pa.epoch.length - pb.epoch.length : pa.epoch < pb.epoch ? -1 : 1;
  }
  return pa.seq - pb.seq;
}

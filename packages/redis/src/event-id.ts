/**
 * Event ids are `<epoch>:<ms>-<seq>`: the stream entry id Redis assigned, prefixed with the epoch
 * of the stream's history. The epoch is made (from Redis's clock, plus three random characters)
 * whenever a publish finds no history: a new stream, a deleted one, a flushed database. Entry ids
 * restart from the clock then, and may repeat ones of the earlier history; with the epoch they
 * never do, and an id of an earlier history is recognised as such (docs/protocol.md#several-processes).
 */
import { compareStreamIds, isStreamId } from "./stream-id.js";

/** An epoch: 11 base-36 digits of Redis's clock in microseconds, then 3 random base-36 characters. */
const EPOCH = /^[0-9a-z]{14}$/;

export interface ParsedEventId {
  readonly epoch: string;
  /** The stream entry id (`<ms>-<seq>`). */
  readonly entryId: string;
}

export function isEpoch(value: string | undefined): value is string {
  return value !== undefined && EPOCH.test(value);
}

export function formatEventId(epoch: string, entryId: string): string {
  return `${epoch}:${entryId}`;
}

/** The parts of an id in this bus's format, or undefined for any other string. */
export function parseEventId(id: string): ParsedEventId | undefined {
  const colon = id.indexOf(":");
  if (colon !== 14) return undefined;
  const epoch = id.slice(0, colon);
  const entryId = id.slice(colon + 1);
  return isEpoch(epoch) && isStreamId(entryId) ? { epoch, entryId } : undefined;
}

/** Orders epochs: fixed width, so by their characters (an earlier epoch first). */
export function compareEpochs(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders ids by epoch, then by entry id; strings in another format by their characters. */
export function compareEventIds(a: string, b: string): number {
  const pa = parseEventId(a);
  const pb = parseEventId(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  return compareEpochs(pa.epoch, pb.epoch) || compareStreamIds(pa.entryId, pb.entryId);
}

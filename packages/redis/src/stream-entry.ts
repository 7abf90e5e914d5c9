import type { BusEvent, BusRecord } from "@eventwire/core";
import { formatEventId, isEpoch } from "./event-id.js";

/** One stream entry as ioredis returns it: the id and the flat field/value list. */
export type StreamEntry = [id: string, fields: string[]];

/** The field names of an entry this bus writes (the publish script adds `epoch` first). */
export const FIELD_EPOCH = "epoch";
export const FIELD_NAME = "name";
export const FIELD_SESSION = "session";
export const FIELD_JSON = "json";

/** The XADD field/value list for a record; `session` is left out when the event has none. */
export function recordFields(record: BusRecord): string[] {
  return record.session === undefined
    ? [FIELD_NAME, record.name, FIELD_JSON, record.json]
    : [FIELD_NAME, record.name, FIELD_SESSION, record.session, FIELD_JSON, record.json];
}

/** What an entry holds: its epoch (none in an entry this bus did not write) and, unless it only marks the epoch, an event. */
export interface ParsedEntry {
  readonly entryId: string;
  readonly epoch: string | undefined;
  readonly event: BusEvent | undefined;
}

export function parseEntry([entryId, fields]: StreamEntry): ParsedEntry {
  let epoch: string | undefined;
  let name: string | undefined;
  let session: string | undefined;
  let json: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = fields[i];
    const value = fields[i + 1]!;
    if (field === FIELD_EPOCH) epoch = value;
    else if (field === FIELD_NAME) name = value;
    else if (field === FIELD_SESSION) session = value;
    else if (field === FIELD_JSON) json = value;
  }
  if (!isEpoch(epoch)) return { entryId, epoch: undefined, event: undefined };
  if (name === undefined || json === undefined) return { entryId, epoch, event: undefined };
  // An entry id is `<ms>-<seq>`, its milliseconds the Redis server's clock when XADD took it.
  const publishedAt = Number(entryId.slice(0, entryId.indexOf("-")));
  return { entryId, epoch, event: { id: formatEventId(epoch, entryId), name, session, json, publishedAt } };
}

/** True for an entry that only marks its epoch (written by `cursor()` on an empty history). */
export function isEpochMark(entry: ParsedEntry): boolean {
  return entry.epoch !== undefined && entry.event === undefined;
}

/** What XINFO STREAM says that a resume needs. */
export interface StreamInfo {
  /** The id of the newest entry ever added (deleted or not); `0-0` for a new stream. */
  readonly lastGeneratedId: string;
  /**
   * The newest id removed by XDEL (trimming does not count); `0-0` when none was, and on Redis
   * before 7, which does not report it.
   */
  readonly maxDeletedId: string;
  /** The oldest entry the stream holds, if any. */
  readonly firstEntry: ParsedEntry | undefined;
  /** The newest entry the stream holds, if any. */
  readonly lastEntry: ParsedEntry | undefined;
}

/** Reads XINFO STREAM's flat key/value reply. */
export function parseStreamInfo(reply: unknown): StreamInfo {
  const info = new Map<string, unknown>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) info.set(String(reply[i]), reply[i + 1]);
  }
  const text = (key: string): string => {
    const value = info.get(key);
    return typeof value === "string" ? value : "0-0";
  };
  const entry = (key: string): ParsedEntry | undefined => {
    const value = info.get(key);
    return Array.isArray(value) && typeof value[0] === "string" && Array.isArray(value[1]) ? parseEntry(value as StreamEntry) : undefined;
  };
  return {
    lastGeneratedId: text("last-generated-id"),
    maxDeletedId: text("max-deleted-entry-id"),
    firstEntry: entry("first-entry"),
    lastEntry: entry("last-entry"),
  };
}

/** True for the error Redis answers XINFO STREAM with when the stream does not exist. */
export function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && /no such key/i.test(error.message);
}

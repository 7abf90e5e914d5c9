import type { BusEvent, BusRecord } from "@eventwire/core";

/** One stream entry as ioredis returns it: the id and the flat field/value list. */
export type StreamEntry = [id: string, fields: string[]];

/** The field names of an entry this bus writes. */
export const FIELD_NAME = "name";
export const FIELD_SESSION = "session";
export const FIELD_JSON = "json";

/** The XADD field/value list for a record; `session` is left out when the event has none. */
export function recordFields(record: BusRecord): string[] {
  return record.session === undefined
    ? [FIELD_NAME, record.name, FIELD_JSON, record.json]
    : [FIELD_NAME, record.name, FIELD_SESSION, record.session, FIELD_JSON, record.json];
}

/** The event an entry holds, or undefined when the entry was not written by this bus. */
export function entryEvent([id, fields]: StreamEntry): BusEvent | undefined {
  let name: string | undefined;
  let session: string | undefined;
  let json: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = fields[i];
    const value = fields[i + 1]!;
    if (field === FIELD_NAME) name = value;
    else if (field === FIELD_SESSION) session = value;
    else if (field === FIELD_JSON) json = value;
  }
  if (name === undefined || json === undefined) return undefined;
  return { id, name, session, json };
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
  /** The oldest entry's id; undefined for an empty stream. */
  readonly firstEntryId: string | undefined;
  /** Whether no entry was ever removed (trimmed or deleted): Redis 7's `entries-added` equals `length`. */
  readonly complete: boolean;
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
  const first = info.get("first-entry");
  const firstEntryId = Array.isArray(first) && typeof first[0] === "string" ? (first[0] as string) : undefined;
  const added = info.get("entries-added");
  const complete = added !== undefined && Number(added) === Number(info.get("length"));
  return { lastGeneratedId: text("last-generated-id"), maxDeletedId: text("max-deleted-entry-id"), firstEntryId, complete };
}

/** True for the error Redis answers XINFO STREAM with when the stream does not exist. */
export function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && /no such key/i.test(error.message);
}

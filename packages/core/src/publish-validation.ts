import type { BusRecord } from "./bus/bus.js";

/**
 * Checks a published object and encodes it once (docs/protocol.md#events-and-publishing). Throws a TypeError, synchronously, for
 * anything that must not reach a client: no object, no string `event`, a reserved `id`, or a value
 * JSON cannot encode.
 */
export function encodePublished(event: unknown, sessionKey: string): BusRecord {
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw new TypeError(`publish: an event must be a plain object with a string "event" field, got ${describe(event)}`);
  }
  const record = event as Record<string, unknown>;
  const name = record.event;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`publish: the event needs a non-empty string "event" field naming it, got ${describe(name)}`);
  }
  if (Object.hasOwn(record, "id")) {
    throw new TypeError(`publish: event field "id" is reserved for the stream position; rename it (event "${name}")`);
  }
  let json: string;
  try {
    json = JSON.stringify(record);
  } catch (cause) {
    throw new TypeError(`publish: event "${name}" cannot be encoded as JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof json !== "string" || json[0] !== "{") {
    throw new TypeError(`publish: event "${name}" does not encode to a JSON object (check its toJSON)`);
  }
  const sessionValue = record[sessionKey];
  const session = typeof sessionValue === "string" ? sessionValue
    : typeof sessionValue === "number" && Number.isFinite(sessionValue) ? String(sessionValue)
    : undefined;
  return { name, session, json: escapeLineSeparators(json) };
}

/**
 * JSON allows U+2028 and U+2029 raw inside strings, but some line-oriented readers treat them as
 * line breaks; escaping keeps every encoded event on one line, and the JSON value is unchanged.
 */
export function escapeLineSeparators(json: string): string {
  return json.includes("\u2028") || json.includes("\u2029")
    ? json.replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029")
    : json;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? JSON.stringify(value) : typeof value;
}

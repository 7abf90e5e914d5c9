import type { BusRecord } from "./bus/bus.js";
import { thrownMessage } from "./thrown-message.js";

/**
 * Checks a published object and encodes it once (docs/protocol.md#events-and-publishing). Throws a TypeError, synchronously, for
 * anything that must not reach a client: no object, no string `event`, a reserved `id`, or a value
 * JSON cannot encode. What is checked is the encoding, what goes on the wire: an `event` getter, a
 * `toJSON` that drops `event` or adds `id`, are seen as JSON sees them.
 */
export function encodePublished(event: unknown, sessionKey: string): BusRecord {
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw new TypeError(`publish: an event must be a plain object with a string "event" field, got ${describe(event)}`);
  }
  const record = event as Record<string, unknown>;
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch (cause) {
    throw new TypeError(`publish: event ${nameFor(record)}cannot be encoded as JSON: ${thrownMessage(cause)}`, { cause });
  }
  if (typeof json !== "string" || json[0] !== "{") {
    throw new TypeError(`publish: event ${nameFor(record)}does not encode to a JSON object (check its toJSON)`);
  }
  // A plain record of data properties encodes its own `event` and session as they are; anything
  // else (getters, toJSON, a Proxy) is read back from its encoding.
  const encoded = isPlainData(record, sessionKey) ? record : (JSON.parse(json) as Record<string, unknown>);
  const name = encoded.event;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`publish: the event needs a non-empty string "event" field naming it, got ${describe(name)}`);
  }
  if (Object.hasOwn(encoded, "id") || Object.hasOwn(record, "id")) {
    throw new TypeError(`publish: event field "id" is reserved for the stream position; rename it (event "${name}")`);
  }
  return { name, session: routingValue(encoded[sessionKey]), json: escapeLineSeparators(json) };
}

/**
 * The value an event's session or scope field routes by: a string, or a finite number as its
 * decimal text; anything else (absent, null, an object) is no value, and the event is not seen by
 * streams limited on that field.
 */
export function routingValue(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;
}

/** An object (or null) prototype, no `toJSON`, and `event` and the session key as plain data. */
function isPlainData(record: Record<string, unknown>, sessionKey: string): boolean {
  try {
    return plainData(record, sessionKey);
  } catch {
    return false; // a Proxy's trap threw: read it back from its encoding
  }
}

function plainData(record: Record<string, unknown>, sessionKey: string): boolean {
  const prototype = Object.getPrototypeOf(record);
  if ((prototype !== Object.prototype && prototype !== null) || "toJSON" in record) return false;
  const event = Object.getOwnPropertyDescriptor(record, "event");
  if (event === undefined || !("value" in event) || !event.enumerable) return false;
  const session = Object.getOwnPropertyDescriptor(record, sessionKey);
  return session === undefined || ("value" in session && session.enumerable === true);
}

/** The event's name for a message, where reading it is safe (a data property), with a trailing space. */
function nameFor(record: Record<string, unknown>): string {
  try {
    const descriptor = Object.getOwnPropertyDescriptor(record, "event");
    return descriptor && typeof descriptor.value === "string" ? `${JSON.stringify(descriptor.value)} ` : "";
  } catch {
    return "";
  }
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

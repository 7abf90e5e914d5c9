import { headers, type MsgHdrs } from "@nats-io/transport-node";
import type { BusRecord } from "@eventwire/core";

/**
 * A message's payload is the event's JSON, untouched (so `nats sub` shows plain events); its
 * name and session travel in headers. Header values cannot hold line breaks, so a value that
 * needs it is percent-encoded (and only such a value contains a `%`); one that holds a lone
 * surrogate, which percent-encoding refuses, travels as its JSON text (see `NOT_UNICODE`).
 */
export const NAME_HEADER = "Eventwire-Name";
export const SESSION_HEADER = "Eventwire-Session";

const SAFE_HEADER_VALUE = /^[\x20-\x24\x26-\x7e]*$/; // printable ASCII without "%"
/** A lone surrogate: a string JavaScript holds but UTF-8 (and so `encodeURIComponent`) cannot. */
const LONE_SURROGATE = /\p{Cs}/u;
/**
 * Marks a value that is not Unicode (it holds a lone surrogate), sent as its JSON text (which
 * escapes the surrogate) percent-encoded. Percent-encoding never writes `%J`.
 */
const NOT_UNICODE = "%J";

export function recordHeaders(record: BusRecord): MsgHdrs {
  const h = headers();
  h.set(NAME_HEADER, encodeValue(record.name));
  if (record.session !== undefined) h.set(SESSION_HEADER, encodeValue(record.session));
  return h;
}

/** The name and session a message carries; undefined when it has no name (not ours). */
export function messageMeta(h: MsgHdrs | undefined): { name: string; session: string | undefined } | undefined {
  if (!h?.has(NAME_HEADER)) return undefined;
  const name = decodeValue(h.get(NAME_HEADER));
  const session = h.has(SESSION_HEADER) ? decodeValue(h.get(SESSION_HEADER)) : undefined;
  return { name, session };
}

export function encodeValue(value: string): string {
  if (SAFE_HEADER_VALUE.test(value) && value.trim() === value) return value;
  return LONE_SURROGATE.test(value) ? NOT_UNICODE + encodeURIComponent(JSON.stringify(value)) : encodeURIComponent(value);
}

export function decodeValue(value: string): string {
  if (value.startsWith(NOT_UNICODE)) return JSON.parse(decodeURIComponent(value.slice(NOT_UNICODE.length))) as string;
  return value.includes("%") ? decodeURIComponent(value) : value;
}

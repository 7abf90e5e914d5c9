import { headers, type MsgHdrs } from "@nats-io/transport-node";
import type { BusRecord } from "@eventwire/core";

/**
 * A message's payload is the event's JSON, untouched (so `nats sub` shows plain events); its
 * name and session travel in headers. Header values cannot hold line breaks, so a value that
 * needs it is percent-encoded (and only such a value contains a `%`).
 */
export const NAME_HEADER = "Eventwire-Name";
export const SESSION_HEADER = "Eventwire-Session";

const SAFE_HEADER_VALUE = /^[\x20-\x24\x26-\x7e]*$/; // printable ASCII without "%"

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

function encodeValue(value: string): string {
  return SAFE_HEADER_VALUE.test(value) && value.trim() === value ? value : encodeURIComponent(value);
}

function decodeValue(value: string): string {
  return value.includes("%") ? decodeURIComponent(value) : value;
}

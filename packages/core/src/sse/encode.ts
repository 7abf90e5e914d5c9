/**
 * Server-Sent Events framing (WHATWG HTML, "Server-sent events"). A field value may not contain CR
 * or LF, so data is split into one `data:` line per line of its own; `id` and `event` may not contain
 * them at all. The result is a complete event, blank line included.
 */
export function encodeSseEvent(message: { data: string; id?: string; event?: string }): string {
  let out = "";
  if (message.id !== undefined) out += `id: ${singleLine("id", message.id)}\n`;
  if (message.event !== undefined) out += `event: ${singleLine("event", message.event)}\n`;
  for (const line of message.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + "\n";
}

/** A comment line: ignored by every reader, it keeps proxies from closing an idle stream. */
export function encodeSseComment(text: string): string {
  return text.split(/\r\n|\r|\n/).map((line) => `: ${line}\n`).join("") + "\n";
}

/**
 * The comment a stream ends with when the client should reconnect at once and resume (a rotated
 * stream, see `maxStreamMs`), rather than after its backoff: `: reconnect`. Other readers ignore it.
 */
export const reconnectComment = "reconnect";

/** Tells the reader how long to wait before reconnecting. */
export function encodeSseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

/** An event name as an SSE `event:` line can carry it, or undefined when it holds CR, LF or NUL. */
export function sseEventName(name: string): string | undefined {
  return /[\r\n\0]/.test(name) ? undefined : name;
}

function singleLine(field: string, value: string): string {
  if (/[\r\n\0]/.test(value)) throw new TypeError(`SSE ${field} cannot contain CR, LF or NUL: ${JSON.stringify(value)}`);
  return value;
}

/** The response headers of every SSE stream (docs/protocol.md#wire-protocol): no caching, no buffering proxies, no compression. */
export const sseHeaders: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
  "content-encoding": "identity",
};

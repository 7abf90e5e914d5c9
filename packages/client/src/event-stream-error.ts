import type { Ref } from "./event-types.js";

/**
 * Why a stream stopped, a connection failed, or an action was refused.
 *
 * `code` is the server's code where it sent one (`unauthenticated`, `forbidden`, `bad_request`,
 * `unknown_action`, `action_failed`, `rate_limited`, ...), else one of the client's:
 * - `closed`: `close()` was called.
 * - `connection_lost`: the connection dropped after the message was sent; it may or may not have run.
 * - `retries_exhausted`: `reconnect.maxRetries` attempts failed in a row (`cause` holds the last failure).
 * - `network_error`: fetch or the WebSocket failed, or the server ended the stream.
 * - `stream_rotated`: the server ended a stream at its `maxStreamMs` (WebSocket 1012, or SSE ended
 *   with `: reconnect`); the client reconnects at once and resumes.
 * - `heartbeat_timeout`: the connection went silent past `heartbeatTimeoutMs`.
 * - `bad_content_type`: an SSE response that is not `text/event-stream` (a proxy's page, say).
 * - `http_<status>`: an SSE response with another status and no JSON error body.
 */
export class EventStreamError extends Error {
  override readonly name = "EventStreamError";
  readonly code: string;
  /** The HTTP status of a refused SSE request. */
  readonly status: number | undefined;
  /** The close code of a WebSocket the server closed. */
  readonly closeCode: number | undefined;
  /** The `ref` of the action this error answers. */
  readonly ref: Ref | undefined;

  constructor(
    code: string,
    message: string,
    details: { status?: number; closeCode?: number; ref?: Ref; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.closeCode = details.closeCode;
    this.ref = details.ref;
  }
}

/**
 * Reads a server's error: an SSE body `{ "error": code, "message": text }` or a WebSocket close
 * reason `"code: text"` (docs/protocol.md#refusal-and-close-codes). Undefined for an empty text; `code` is "" when none is found.
 */
export function parseErrorBody(text: string): { code: string; message: string } | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  try {
    const body: unknown = JSON.parse(trimmed);
    if (body !== null && typeof body === "object") {
      const { error, code, message } = body as Record<string, unknown>;
      const name = typeof error === "string" ? error : typeof code === "string" ? code : undefined;
      if (name !== undefined) return { code: name, message: typeof message === "string" ? message : name };
    }
  } catch {
    // Not JSON: a bare code ("forbidden") or a sentence.
  }
  // A close reason: "code: message" (as the hub writes it), a bare code, or a sentence.
  const match = /^([a-z][a-z0-9_]*)(?::\s*([\s\S]*))?$/.exec(trimmed);
  if (match !== null) return { code: match[1]!, message: match[2] || match[1]! };
  return { code: "", message: trimmed };
}

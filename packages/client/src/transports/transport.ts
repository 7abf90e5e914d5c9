import type { EventStreamError } from "../event-stream-error.js";

/**
 * One connection attempt, as the reconnect loop sees it. A transport calls `onDrop` exactly once,
 * and calls nothing after `close()`.
 */
export interface TransportHandlers {
  /** The server accepted: WebSocket open, or an SSE response with status 200. */
  onOpen(): void;
  /** One event's JSON text. `sseId` is the SSE `id:` field, when the message had one. */
  onMessage(text: string, sseId?: string): void;
  /** Bytes arrived that are not an event (an SSE `: keepalive` comment): the connection lives. */
  onActivity(): void;
  /** The server's SSE `retry:` field, in milliseconds. */
  onRetry(ms: number): void;
  /** The connection is over. */
  onDrop(drop: Drop): void;
}

/**
 * - `retry`: try again after backoff (at least `retryAfterMs` when the server said so), or at once
 *   when `immediate`: the server ended a healthy stream on purpose and expects the client back now
 *   (a rotated stream: WebSocket 1012, or an SSE stream that ended with a `: reconnect` comment).
 * - `refused`: the server refused this client (status `"error"`); no retry.
 * - `finished`: the server said there is nothing to stream (SSE 204; status `"closed"`); no retry.
 */
export type Drop =
  | { kind: "retry"; error: EventStreamError; retryAfterMs?: number | undefined; immediate?: boolean }
  | { kind: "refused"; error: EventStreamError }
  | { kind: "finished"; error: EventStreamError };

export interface TransportConnection {
  /** Writes one text frame; false when the connection cannot take it now. SSE has no `send`. */
  send?(text: string): boolean;
  /** Ends the attempt from our side. No handler runs afterwards. */
  close(): void;
}

/** Extra request headers: an object, or a function called before every attempt (fresh tokens). */
export type HeadersOption =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>);

export async function resolveHeaders(headers: HeadersOption | undefined): Promise<Record<string, string>> {
  if (headers === undefined) return {};
  return typeof headers === "function" ? { ...(await headers()) } : { ...headers };
}

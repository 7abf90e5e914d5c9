/**
 * Which server answers end a stream instead of being retried (docs/protocol.md#refusal-and-close-codes and docs/protocol.md#client). Everything else
 * (1001 going away, 1006 abnormal, 1013 try again later, 503, 5xx, network errors, a stream the
 * server ended) is retried with backoff and resumed from the last id.
 */

/** WebSocket close codes after which the client stops: the server refused this connection. */
export const terminalCloseCodes: ReadonlyMap<number, string> = new Map([
  [4400, "bad_request"],
  [4401, "unauthenticated"],
  [4403, "forbidden"],
  [1008, "policy_violation"],
]);

/**
 * WebSocket close codes after which the client reconnects at once, without backoff (its `headers`
 * function is called again): 1012 (service restart), which a hub sends when a stream reaches its
 * `maxStreamMs`, and 4419 (expired), at the grant's `expiresAt`: fresh credentials, then resume.
 */
export const reconnectNowCloseCodes: ReadonlySet<number> = new Set([1012, 4419]);

/** The SSE comment a hub ends a stream with when the client should reconnect at once (`: reconnect`). */
export const reconnectNowComment = "reconnect";

/**
 * SSE statuses after which the client stops. 204 (No Content) means "stop" and ends as `closed`;
 * 404 and 410 mean the URL serves no stream (a wrong path, a route removed), which no retry fixes.
 */
export const terminalStatuses: ReadonlyMap<number, string> = new Map([
  [204, "no_content"],
  [400, "bad_request"],
  [401, "unauthenticated"],
  [403, "forbidden"],
  [404, "not_found"],
  [410, "gone"],
]);

/**
 * `Retry-After` (seconds or an HTTP date) in milliseconds, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

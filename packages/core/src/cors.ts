/**
 * CORS headers for an SSE response. With `allowedOrigins`, an allowed origin is echoed with
 * credentials; without it, any origin may read, and never with credentials (a `*` with
 * credentials is what browsers forbid and attackers hope for).
 */
export function corsHeaders(allowed: ReadonlySet<string> | undefined, origin: string | string[] | undefined): Record<string, string> {
  if (typeof origin !== "string") return {};
  if (allowed === undefined) return { "access-control-allow-origin": "*" };
  if (!allowed.has(origin)) return { vary: "origin" };
  return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "origin" };
}

/** The answer to a CORS preflight (a fetch-based SSE client sending `Authorization`, say). */
export function preflightHeaders(allowed: ReadonlySet<string> | undefined, origin: string | string[] | undefined, requestedHeaders: string | string[] | undefined): Record<string, string> {
  const headers = corsHeaders(allowed, origin);
  if (!headers["access-control-allow-origin"]) return headers;
  return {
    ...headers,
    "access-control-allow-methods": "GET, OPTIONS",
    "access-control-allow-headers": typeof requestedHeaders === "string" ? requestedHeaders : "last-event-id, authorization",
    "access-control-max-age": "600",
  };
}

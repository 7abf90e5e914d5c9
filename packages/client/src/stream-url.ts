/** The URL of one connection attempt (docs/protocol.md#wire-protocol): one path serves both transports, the query scopes it. */

export interface StreamQuery {
  session?: string | undefined;
  events?: readonly string[] | undefined;
  include?: readonly string[] | undefined;
  lastEventId?: string | undefined;
}

/**
 * Resolves `url` (relative URLs against the page in a browser), switches its scheme to the
 * transport's (`http(s):` for SSE, `ws(s):` for WebSocket) and sets `session`, `events`,
 * `include` and `lastEventId`, keeping any other query parameters.
 */
export function buildStreamUrl(url: string | URL, transport: "websocket" | "sse", query: StreamQuery): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let resolved: URL;
  try {
    resolved = new URL(String(url), base);
  } catch {
    throw new TypeError(
      `url "${String(url)}" is not a valid URL${base === undefined ? "; outside a browser, pass an absolute URL such as http://127.0.0.1:3000/events" : ""}`,
    );
  }
  const scheme = resolved.protocol;
  if (transport === "websocket") {
    if (scheme === "http:") resolved.protocol = "ws:";
    else if (scheme === "https:") resolved.protocol = "wss:";
  } else {
    if (scheme === "ws:") resolved.protocol = "http:";
    else if (scheme === "wss:") resolved.protocol = "https:";
  }
  if (!/^(wss?|https?):$/.test(resolved.protocol)) {
    throw new TypeError(`url "${String(url)}" must use http(s) or ws(s), not ${scheme}`);
  }
  const params = resolved.searchParams;
  setParam(params, "session", query.session);
  setParam(params, "events", query.events?.length ? query.events.join(",") : undefined);
  setParam(params, "include", query.include?.length ? query.include.join(",") : undefined);
  setParam(params, "lastEventId", query.lastEventId);
  return resolved.href;
}

function setParam(params: URLSearchParams, name: string, value: string | undefined): void {
  if (value === undefined || value === "") params.delete(name);
  else params.set(name, value);
}

/** Rejects filter entries the query cannot carry, naming the option. */
export function validateNames(option: "events" | "include", names: readonly string[] | undefined): void {
  if (names === undefined) return;
  if (!Array.isArray(names)) throw new TypeError(`${option} must be an array of event names`);
  for (const name of names) {
    if (typeof name !== "string" || name === "" || name.includes(",")) {
      throw new TypeError(`${option} entries must be non-empty event names without commas, got ${JSON.stringify(name)}`);
    }
  }
}

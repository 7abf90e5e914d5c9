import type { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { routeUpgrade, type Hub } from "@eventwire/core";

/** One hub per process and key, kept on `globalThis` across dev reloads (from `@eventwire/core`). */
export { globalHub } from "@eventwire/core";

/** A hub, or a function returning it: called per request and per upgrade, so the hub can be made on first use, or swapped. */
export type HubSource = Hub | (() => Hub);

export interface EventwireNextOptions {
  /**
   * The path clients open WebSockets on, as the Node server receives it. Default: the path of the
   * route's first request as Next hands it (`req.url`): `/api/events` for `pages/api/events.ts`.
   * Set it where the browser's path differs: behind a `basePath`, a rewrite or i18n.
   */
  path?: string;
}

export interface EventwireAttachOptions {
  /** The path clients open WebSockets on, as the Node server receives it. Default: `"/api/events"`. */
  path?: string;
}

/** A Pages-router API route handler (assignable to Next's `NextApiHandler`). */
export type EventwireApiHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

const notAllowed = JSON.stringify({ error: "method_not_allowed", message: "this route serves GET (SSE or WebSocket) and OPTIONS" });
const notYet = JSON.stringify({ error: "unavailable", message: "this server had not yet routed WebSocket upgrades to this route; retry" });
const serverError = "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/**
 * The API route serving `hub` (its README shows how): `export default eventwire(hub)` in
 * `pages/api/events.ts`, with `export const config = { api: { bodyParser: false } }`.
 *
 * A GET streams SSE; OPTIONS answers a CORS preflight; other methods get 405. WebSockets: Next never
 * routes an upgrade to an API route (its own `upgrade` listener ends those on route paths), so on the
 * first request it serves, the handler claims upgrades on its path from the Node server
 * (`res.socket.server`), once per server. Until that first request, a fresh process cannot accept a
 * WebSocket on the route: with a custom server, call {@link attach} at startup instead.
 */
export function eventwire(hub: HubSource, options: EventwireNextOptions = {}): EventwireApiHandler {
  const hubOf = resolver(hub);
  if (options.path !== undefined) checkPath(options.path);
  const claimed = new WeakSet<EventEmitter>();
  return async (request, response) => {
    const server = ((response.socket ?? request.socket) as { server?: EventEmitter } | null)?.server;
    if (server && !claimed.has(server)) {
      claimed.add(server);
      attach(server, hubOf, { path: options.path ?? pathOf(request.url ?? "/") });
    }
    if (request.method !== "GET" && request.method !== "OPTIONS") {
      response.writeHead(405, { allow: "GET, OPTIONS", "content-type": "application/json" }).end(notAllowed);
      return;
    }
    if (request.headers.upgrade?.toLowerCase() === "websocket") {
      // Node hands an upgrade to request handlers only while its server has no `upgrade` listener:
      // a custom server before its first request. The claim above serves the client's retry.
      response.writeHead(503, { "retry-after": "0", "content-type": "application/json" }).end(notYet);
      return;
    }
    await hubOf().sse(request, response);
  };
}

/**
 * Serves WebSocket upgrades on `path` of a Node server, for a custom server (`next({ ... })` behind
 * your own `http.createServer`), so the first WebSocket needs no earlier request. Upgrades on other
 * paths (Next's HMR among them) are left to their listeners. Returns a function that stops serving.
 */
export function attach(server: EventEmitter, hub: HubSource, options: EventwireAttachOptions = {}): () => void {
  const hubOf = resolver(hub);
  const path = checkPath(options.path ?? "/api/events");
  return routeUpgrade(server, path, (request, socket, head) => {
    let served: Hub;
    try {
      served = hubOf();
    } catch (error) {
      // Thrown out of Node's `upgrade` event, it would take the whole server down.
      console.error("[eventwire] no hub to serve a WebSocket upgrade", error);
      socket.end(serverError);
      return;
    }
    served.handleUpgrade(request, socket, head);
  });
}

function resolver(hub: HubSource): () => Hub {
  return typeof hub === "function" ? hub : () => hub;
}

function checkPath(path: string): string {
  if (typeof path !== "string" || !path.startsWith("/")) throw new TypeError(`eventwire: path must be a path starting with "/" (got ${JSON.stringify(path)})`);
  return path;
}

function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

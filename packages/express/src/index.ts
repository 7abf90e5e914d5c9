import type { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { routeUpgrade, type Hub } from "@eventwire/core";

export interface EventwireExpressOptions {
  /**
   * The path of the stream, relative to where the middleware is mounted, as Express matches it:
   * `app.use(events)` serves `/events`; `router.use(events)` with `app.use("/api", router)` serves
   * `/api/events`. A trailing slash is optional. Default: `"/events"` (docs/protocol.md#wire-protocol).
   */
  path?: string;
  /**
   * The path `attach(server)` serves WebSocket upgrades on, as the client sends it. Node hands
   * upgrades to the server, not to Express, so no router prefix applies: under
   * `app.use("/api", router)`, pass `"/api/events"`. If SSE requests reach the middleware under a
   * prefix this path misses, the hub's logger warns once. Default: `path`.
   */
  upgradePath?: string;
}

/** What the middleware reads of Express's request: Node's, plus the path relative to the mount point. */
export interface ExpressRequest extends IncomingMessage {
  path: string;
  baseUrl: string;
}

/**
 * The middleware (for `app.use` or `router.use`; typed on Node's request and response, so these
 * types need no `@types/express`), and the way to serve WebSocket upgrades on the same path.
 */
export interface EventwireMiddleware {
  (request: ExpressRequest, response: ServerResponse, next: (error?: unknown) => void): void;
  /**
   * Serves WebSocket upgrades on `upgradePath` through one `upgrade` listener on `server` (the
   * server `app.listen()` returns, or your own http/https server). Upgrades on other paths are left
   * to the server's other listeners, untouched. Returns `server`, so `events.attach(app.listen(3000))`.
   */
  attach<S extends EventEmitter>(server: S): S;
  /** Stops serving upgrades on every server `attach` was given. */
  detach(): void;
}

const upgradeRequired = JSON.stringify({ error: "upgrade_required", message: "WebSocket upgrades on this path need events.attach(server)" });

/**
 * Express (4.21+ and 5) middleware serving `hub` on one path (its README shows how): GET streams SSE, OPTIONS
 * answers a CORS preflight, anything else goes to `next()`. Call `attach(server)` for WebSockets.
 *
 * @throws TypeError when `path` or `upgradePath` does not start with "/".
 */
export function eventwire(hub: Hub, options: EventwireExpressOptions = {}): EventwireMiddleware {
  const path = checkedPath("path", options.path ?? "/events");
  const upgradePath = checkedPath("upgradePath", options.upgradePath ?? path);
  const detachers: (() => void)[] = [];
  let warnedAbout: string | undefined;

  const middleware = (request: ExpressRequest, response: ServerResponse, next: (error?: unknown) => void): void => {
    if ((request.method !== "GET" && request.method !== "OPTIONS") || trimmed(request.path) !== path) return next();
    if (request.headers.upgrade?.toLowerCase() === "websocket") {
      response.writeHead(426, { "content-type": "application/json" }).end(upgradeRequired);
      return;
    }
    const servedAt = trimmed(request.baseUrl + path);
    if (detachers.length > 0 && servedAt !== upgradePath && warnedAbout !== servedAt) {
      warnedAbout = servedAt;
      hub.options.logger.warn(`[eventwire] SSE is served at "${servedAt}" but WebSocket upgrades at "${upgradePath}": pass { upgradePath: "${servedAt}" } to eventwire()`);
    }
    hub.sse(request, response).catch(next);
  };

  return Object.assign(middleware, {
    attach<S extends EventEmitter>(server: S): S {
      detachers.push(routeUpgrade(server, upgradePath, (request, socket, head) => hub.handleUpgrade(request, socket, head)));
      return server;
    },
    detach(): void {
      for (const detach of detachers.splice(0)) detach();
    },
  });
}

function checkedPath(name: string, value: string): string {
  if (typeof value !== "string" || !value.startsWith("/")) throw new TypeError(`eventwire: ${name} must be a path starting with "/" (got ${JSON.stringify(value)})`);
  return trimmed(value);
}

/** A path without its trailing slashes, as Express's non-strict routing compares them. */
function trimmed(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") || "/" : path;
}

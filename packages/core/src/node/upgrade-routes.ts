import type { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** What a Node server's `upgrade` event hands its listeners. */
export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The routes of one server; the shape is shared by every copy of this module (see `routesKey`). */
interface UpgradeRoutes {
  readonly listeners: Map<string, UpgradeListener>;
  uninstall(): void;
}

/** `Symbol.for`, so two copies of core in one process (a Next bundle and a custom server) share a server's routes. */
const routesKey = Symbol.for("eventwire.upgrade-routes");

type RoutedServer = EventEmitter & { [routesKey]?: UpgradeRoutes };

const notFound = "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/**
 * Serves the WebSocket upgrades of one path on a Node http(s) server. An upgrade whose path (query
 * aside, trailing slash optional) is `path` goes to `listener` alone: the server's other `upgrade`
 * listeners never see it, which matters where one of them would end it (Next's does, for any path
 * that is a page or API route). Every other upgrade reaches the other listeners untouched; only when
 * there are none is it answered 404, as nobody else will.
 *
 * An upgrade on another path that no listener takes is released: Next's own listener, for one, leaves
 * the socket of an upgrade it does not serve open for someone else, and Node no longer manages that
 * socket (no timeout, half open once its client leaves), so it stayed for good and `server.close()`
 * waited for it forever. Such a socket that nobody reads is destroyed when its client ends it, or
 * once it has been left unread for the server's `keepAliveTimeout`, as Node closes an idle
 * connection (docs/protocol.md#load-and-bad-input). A listener that reads it (`ws`, a proxy) keeps it.
 *
 * However often it is called, a server gets one interception, marked on the server itself; calling
 * it again for a path replaces that path's listener (a dev reload). Returns a function that removes
 * this registration, and the interception with the last one.
 */
export function routeUpgrade(server: EventEmitter, path: string, listener: UpgradeListener): () => void {
  if (!path.startsWith("/")) throw new TypeError(`routeUpgrade: the path must start with "/" (got ${JSON.stringify(path)})`);
  const key = pathnameOf(path);
  const routes = (server as RoutedServer)[routesKey] ?? intercept(server as RoutedServer);
  routes.listeners.set(key, listener);
  return () => {
    if (routes.listeners.get(key) !== listener) return;
    routes.listeners.delete(key);
    if (routes.listeners.size === 0) routes.uninstall();
  };
}

/** The path of a request target, without its query and trailing slash. */
export function pathnameOf(url: string): string {
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > 1 && path.endsWith("/") ? path.replace(/\/+$/, "") || "/" : path;
}

function intercept(server: RoutedServer): UpgradeRoutes {
  const listeners = new Map<string, UpgradeListener>();
  const ownEmit = Object.hasOwn(server, "emit") ? server.emit : undefined;
  const emit = server.emit;
  // Node emits `upgrade` through the instance's `emit`: claiming an upgrade there keeps it from
  // every listener, those added before this one and after.
  const routedEmit = function (this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "upgrade") {
      const [request, socket, head] = args as Parameters<UpgradeListener>;
      const route = listeners.get(pathnameOf(request.url ?? "/"));
      if (route) {
        route(request, socket, head);
        return true;
      }
      releaseWhenUnserved(server, socket);
    }
    return emit.call(this, event, ...args);
  };
  // Node treats a request as an upgrade only while the server has an `upgrade` listener.
  const unclaimed: UpgradeListener = (_request, socket) => {
    if (server.listenerCount("upgrade") === 1) socket.end(notFound);
  };
  server.emit = routedEmit;
  server.on("upgrade", unclaimed);
  const routes: UpgradeRoutes = {
    listeners,
    uninstall() {
      server.off("upgrade", unclaimed);
      if (server.emit === routedEmit) {
        if (ownEmit) server.emit = ownEmit;
        else delete (server as Partial<EventEmitter>).emit;
      }
      delete server[routesKey];
    },
  };
  Object.defineProperty(server, routesKey, { value: routes, configurable: true, enumerable: false });
  return routes;
}

/** Destroys `socket` if nobody reads it when its client ends it, or after the server's keep-alive timeout. */
function releaseWhenUnserved(server: EventEmitter, socket: Duplex): void {
  const release = () => {
    if (socket.listenerCount("data") === 0 && socket.listenerCount("readable") === 0) socket.destroy();
  };
  const timeout = (server as { keepAliveTimeout?: number }).keepAliveTimeout;
  const timer = setTimeout(release, typeof timeout === "number" && timeout > 0 ? timeout : 5_000);
  timer.unref();
  socket.once("end", release);
  socket.once("close", () => {
    clearTimeout(timer);
    socket.off("end", release);
  });
}

import { requestFromWeb, sseResponse, type EventwireRequest, type Hub, type SocketLike, type WebSocketInbox } from "@eventwire/core";
import { Hono, type Context } from "hono";
import type { UpgradeWebSocket, WSContext } from "hono/ws";
import { WSContextPeer } from "./wscontext-peer.js";

/** Options of `eventwire(hub, options)`. */
export interface EventwireHonoOptions {
  /**
   * The runtime's WebSocket helper: on Node, `createNodeWebSocket({ app }).upgradeWebSocket` from
   * `@hono/node-ws`; on Bun, `upgradeWebSocket` from `hono/bun`; on Deno, from `hono/deno`.
   * Default: none; the sub-app then serves SSE only and answers WebSocket upgrades with 501.
   */
  upgradeWebSocket?: UpgradeWebSocket<any, any>;
  /**
   * The client's address for `authorize` (docs/protocol.md#sessions-scopes-and-authorization).
   * Default: where each runtime's `getConnInfo` reads it: the socket's on `@hono/node-server`,
   * `server.requestIP(request)` on Bun, the handler info's `remoteAddr` on Deno; `undefined`
   * elsewhere. Behind a proxy, or on another runtime, pass your own: `(c) => getConnInfo(c).remote.address`.
   */
  remoteAddress?: (c: Context) => string | undefined;
}

interface NodeServerBindings {
  incoming?: { socket?: { remoteAddress?: string } };
}

/** What `c.env` holds on each runtime: Node's request (@hono/node-server), Bun's server, Deno's handler info. */
type RuntimeBindings = NodeServerBindings & {
  server?: NodeServerBindings;
  requestIP?(request: Request): { address: string } | null;
  remoteAddr?: { hostname?: string };
};

/** The client's address where the runtime keeps it, as Hono's `getConnInfo` of each runtime reads it. */
function runtimeRemoteAddress(c: Context): string | undefined {
  const env = c.env as RuntimeBindings | undefined;
  if (typeof env?.requestIP === "function") return env.requestIP(c.req.raw)?.address;
  return (env?.server ?? env)?.incoming?.socket?.remoteAddress ?? env?.remoteAddr?.hostname;
}

function isWsSocket(raw: unknown): raw is SocketLike {
  return typeof raw === "object" && raw !== null && typeof (raw as SocketLike).on === "function" && typeof (raw as SocketLike).ping === "function";
}

const errorBody = (error: string, message: string) => ({ error, message });

/**
 * A Hono sub-app serving a hub's streams at its root (its README shows how), for
 * `app.route("/events", eventwire(hub, { upgradeWebSocket }))`: a GET with `Upgrade: websocket`
 * becomes a WebSocket, any other GET an SSE stream on a Web `ReadableStream` (so SSE runs on every
 * runtime Hono runs on), and OPTIONS answers CORS preflights. `authorize` gets Hono's `Context`
 * as `request.raw`.
 */
export function eventwire(hub: Hub, options: EventwireHonoOptions = {}): Hono {
  if (typeof hub !== "object" || hub === null || typeof hub.ws !== "function" || typeof hub.admit !== "function") {
    throw new TypeError("@eventwire/hono: eventwire(hub, options) needs a hub from createHub() as its first argument");
  }
  const { upgradeWebSocket, remoteAddress = runtimeRemoteAddress } = options;
  if (upgradeWebSocket !== undefined && typeof upgradeWebSocket !== "function") {
    throw new TypeError("@eventwire/hono: options.upgradeWebSocket must be the runtime's upgradeWebSocket (createNodeWebSocket({ app }).upgradeWebSocket on Node)");
  }
  if (typeof remoteAddress !== "function") throw new TypeError("@eventwire/hono: options.remoteAddress must be a function (c) => string | undefined");

  const neutral = (c: Context): EventwireRequest => requestFromWeb(c.req.raw, { remoteAddress: remoteAddress(c), raw: c });
  // Deno's runtime keepalive drops a peer that stops answering its pings (see WSContextPeer); the
  // other helpers ignore this option.
  const runtimeKeepalive = { idleTimeout: Math.max(1, Math.ceil(hub.options.heartbeatMs / 1_000)) };
  const upgrade = upgradeWebSocket?.((c) => {
    const request = neutral(c);
    let inbox: WebSocketInbox | undefined;
    return {
      onOpen: (_event, ws: WSContext<unknown>) => {
        // A `ws` socket (@hono/node-ws) is served as `ws` sockets are: protocol pings, frames built once.
        if (isWsSocket(ws.raw)) hub.ws(ws.raw, { request });
        else inbox = hub.openWebSocket(new WSContextPeer(ws as WSContext<never>), { request });
      },
      onMessage: (event) => inbox?.receive(event.data, typeof event.data !== "string"),
      onClose: () => inbox?.closed(),
      // A socket's error is followed by its close; without a handler, hono/bun would rethrow it.
      onError: () => {},
    };
  }, runtimeKeepalive);

  const app = new Hono();
  app.get("/", async (c, next) => {
    // The request's signal ends a stream whose client left, even one @hono/node-server never reads.
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return sseResponse(hub, neutral(c), {}, c.req.raw.signal);
    // A foreign Origin or an unparseable target is refused in the handshake
    // (docs/protocol.md#refusal-and-close-codes); the rest is refused after it, with a close code.
    const refusal = hub.handshakeRefusal(neutral(c));
    if (refusal) return new Response(refusal.body, { status: refusal.status, headers: refusal.headers(hub.options.retryMs) });
    if (!upgrade) return c.json(errorBody("websocket_unavailable", "this server serves SSE only: pass upgradeWebSocket to eventwire()"), 501);
    // The runtime's helper declines (hono/bun, hono/deno: undefined) or throws (Deno.upgradeWebSocket
    // without a key) on a handshake it cannot complete: that is the client's fault (RFC 6455, 4.2.1).
    const response = await upgrade(c, next).catch(() => undefined);
    return response ?? c.json(errorBody("bad_request", "not a WebSocket handshake this runtime accepts"), 400);
  });
  app.options("/", (c) => sseResponse(hub, neutral(c)));
  return app;
}

export { guardNodeWebSocket, type NodeWebSocket } from "./node-upgrade-guard.js";
export default eventwire;

import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** What `createNodeWebSocket({ app })` of `@hono/node-ws` returns, as far as the guard needs it. */
export interface NodeWebSocket {
  injectWebSocket(server: any): void;
  readonly wss: {
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (ws: any, request: IncomingMessage) => void): void;
    emit(event: "connection", ws: unknown, request: IncomingMessage): boolean;
  };
}

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => unknown;

const badRequest = (message: string) => {
  const body = JSON.stringify({ error: "bad_request", message });
  return `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

/** CLOSED: what @hono/node-ws is handed for a handshake `ws` refused, so it lets the request go. */
class RefusedSocket extends EventEmitter {
  readonly readyState = 3;
  readonly protocol = "";
  readonly bufferedAmount = 0;
  send(): void {}
  close(): void {}
}

const guarded = new WeakSet<object>();

/**
 * `@hono/node-ws` with its `upgrade` listener guarded (docs/protocol.md#load-and-bad-input):
 * `guardNodeWebSocket(createNodeWebSocket({ app }))`, the rest used as before. Without it, on
 * `@hono/node-ws` 1.3:
 *
 * - a request target the URL parser rejects (`//` and no valid authority) throws inside its async
 *   listener, an unhandled rejection that ends the process. The guard answers 400 first.
 * - an `Upgrade` that is not `websocket` is run through the app as a plain GET whose response goes
 *   nowhere: on the stream's path, an SSE stream nobody reads, counted forever. The guard answers 400.
 * - a handshake `ws` refuses after the app said yes (a bad `Sec-WebSocket-Version`, a socket gone
 *   meanwhile) stays in its list of requests waiting to be upgraded, about 7 KB each, forever. The
 *   guard hands it a closed socket, which it takes as the upgrade and lets go of (the hub admits no
 *   closed socket).
 *
 * Anything else reaches @hono/node-ws as it would have: WebSocket routes of the rest of the app too.
 */
export function guardNodeWebSocket<T extends NodeWebSocket>(nodeWebSocket: T): T {
  const { wss } = nodeWebSocket;
  if (!guarded.has(wss)) {
    guarded.add(wss);
    const handleUpgrade = wss.handleUpgrade.bind(wss);
    // `ws` completes or refuses a handshake synchronously (no verifyClient): no callback, no upgrade.
    wss.handleUpgrade = (request, socket, head, callback) => {
      let upgraded = false;
      handleUpgrade(request, socket, head, (ws, upgradedRequest) => {
        upgraded = true;
        callback(ws, upgradedRequest);
      });
      if (!upgraded) wss.emit("connection", new RefusedSocket(), request);
    };
  }
  return {
    ...nodeWebSocket,
    injectWebSocket(server: EventEmitter): void {
      // @hono/node-ws adds one `upgrade` listener; it is taken here and called behind the guard.
      const captured = new EventEmitter();
      nodeWebSocket.injectWebSocket(captured);
      const inner = captured.listeners("upgrade")[0] as UpgradeListener | undefined;
      if (inner === undefined) throw new TypeError("@eventwire/hono: guardNodeWebSocket found no upgrade listener in @hono/node-ws's injectWebSocket");
      server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        // Node leaves an upgrade's socket without an 'error' listener: a client reset would throw.
        socket.on("error", () => socket.destroy());
        const refusal = refusalOf(request);
        if (refusal !== undefined) return void socket.end(badRequest(refusal));
        Promise.resolve()
          .then(() => inner(request, socket, head))
          .catch(() => {
            if (!socket.destroyed) socket.end(badRequest("the upgrade request could not be handled"));
          });
      });
    },
  };
}

/** Why an upgrade request is refused before @hono/node-ws sees it, if it is. */
function refusalOf(request: IncomingMessage): string | undefined {
  if (request.headers.upgrade?.toLowerCase() !== "websocket") return "this server upgrades only to websocket";
  try {
    new URL(request.url ?? "/", "http://localhost");
  } catch {
    return "the request target cannot be parsed as a URL";
  }
  return undefined;
}

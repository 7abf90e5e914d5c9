import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createHub, type Hub, type HubOptions } from "@eventwire/core";

/**
 * A plain node:http server serving a core hub on `/events` (SSE, and WebSocket upgrades on the
 * same path), on port 0. `drop()` cuts every connection abruptly; `restart()` stops the server and
 * starts a new one on the same port with the same hub, whose history the clients resume from.
 */
export interface HubServer {
  readonly hub: Hub;
  readonly port: number;
  /** `http://127.0.0.1:<port>/events` */
  readonly url: string;
  /** Destroys every open socket (streams and upgrades) without closing anything gracefully. */
  drop(): void;
  /** Stops listening and drops every connection; `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Closes the server and the hub. */
  close(): Promise<void>;
}

export interface HubServerOptions extends HubOptions {
  /** Answers other paths (the browser test's page and scripts). */
  serveOther?: (request: IncomingMessage, response: ServerResponse) => void;
}

export async function startHubServer(options: HubServerOptions = {}): Promise<HubServer> {
  const { serveOther, ...hubOptions } = options;
  const hub = createHub({ logger: { warn() {}, error() {} }, ...hubOptions });
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const listen = async (): Promise<void> => {
    const next = createServer((request, response) => {
      if (new URL(request.url ?? "/", "http://x").pathname === "/events") void hub.sse(request, response);
      else if (serveOther) serveOther(request, response);
      else response.writeHead(404).end();
    });
    next.on("upgrade", (request, socket, head) => {
      if (new URL(request.url ?? "/", "http://x").pathname === "/events") hub.handleUpgrade(request, socket, head);
      else socket.destroy();
    });
    next.on("connection", (socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      next.once("error", reject);
      next.listen(port, "127.0.0.1", () => {
        next.off("error", reject);
        resolve();
      });
    });
    port = (next.address() as AddressInfo).port;
    server = next;
  };

  const drop = (): void => {
    for (const socket of sockets) socket.destroy();
  };

  const stop = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (current === undefined) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    drop();
    await closed;
  };

  await listen();
  return {
    hub,
    port,
    url: `http://127.0.0.1:${port}/events`,
    drop,
    stop,
    start: listen,
    async close() {
      await stop();
      await hub.close();
    },
  };
}

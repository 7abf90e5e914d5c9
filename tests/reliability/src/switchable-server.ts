import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Hub } from "@eventwire/core";
import { WebSocketServer } from "ws";

/**
 * One node:http server whose requests go to the current hub: `switchTo` plays a restart behind a
 * load balancer (or a process restart on the same port). Connections already open stay with the
 * hub that accepted them; new ones reach the new hub. WebSockets are upgraded here, with the hub's
 * limits, and handed to `hub.ws` (as the Fastify and Hono adapters do), so that the moment the
 * server starts closing each one is on record in `closesStarted`.
 */
export class SwitchableServer {
  readonly server: http.Server;
  url = "";
  /** When the server called `close()` on each WebSocket, in order. */
  readonly closesStarted: number[] = [];
  #hub: Hub;
  #upgrades: WebSocketServer;

  constructor(hub: Hub) {
    this.#hub = hub;
    this.server = http.createServer((request, response) => void this.#hub.sse(request, response));
    this.#upgrades = new WebSocketServer({ noServer: true, clientTracking: false, ...hub.wsServerOptions });
    this.server.on("upgrade", (request, socket, head) => {
      const hub = this.#hub;
      if (!hub.originAllowed(request.headers.origin)) return void socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      this.#upgrades.handleUpgrade(request, socket, head, (ws) => {
        const close = ws.close.bind(ws);
        let started = false;
        // The first call is the server's; ws calls it again itself when the client's close frame arrives.
        ws.close = (code?: number, reason?: string | Buffer) => {
          if (!started) this.closesStarted.push(Date.now());
          started = true;
          close(code, reason);
        };
        hub.ws(ws, { request });
      });
    });
    // Thousands of clients connect at once in these tests.
    this.server.maxConnections = 100_000;
  }

  get hub(): Hub {
    return this.#hub;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen({ port: 0, host: "127.0.0.1", backlog: 4_096 }, resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }

  switchTo(hub: Hub): void {
    this.#hub = hub;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

import type { Hub } from "@eventwire/core";
import type { StartedServer } from "@eventwire/conformance";
import { serve } from "@hono/node-server";
import { createNodeWebSocket } from "@hono/node-ws";
import { Hono } from "hono";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eventwire, guardNodeWebSocket } from "../src/index.js";

/**
 * A Hono app served by @hono/node-server on `port` (0: a free one), `hub` at /events, WebSocket
 * through @hono/node-ws as the README sets it up: guarded, and its `ws` server given the hub's limits
 * (it would otherwise buffer messages of up to 100 MiB in up to 16,384 fragments). `http` is the
 * node:http server (the reliability suite counts its connections).
 */
export async function startServer(hub: Hub, port = 0): Promise<StartedServer & { readonly http: Server }> {
  const app = new Hono();
  const { upgradeWebSocket, injectWebSocket, wss } = guardNodeWebSocket(createNodeWebSocket({ app }));
  Object.assign(wss.options, hub.wsServerOptions);
  app.route("/events", eventwire(hub, { upgradeWebSocket }));
  const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }) as Server;
  injectWebSocket(server);
  if (!server.listening) await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    http: server,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

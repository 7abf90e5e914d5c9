import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Hub } from "@eventwire/core";
import type { StartedServer } from "@eventwire/conformance";
import Fastify from "fastify";
import eventwire from "../src/index.js";

/**
 * A real Fastify app serving `hub` at /events, listening on `port` (0: a free one), as the README
 * sets it up (the plugin registers @fastify/websocket with `hub.wsServerOptions`); `http` is the
 * node:http server under it (the reliability suite counts its connections).
 */
export async function startServer(hub: Hub, port = 0): Promise<StartedServer & { readonly http: Server }> {
  const app = Fastify();
  await app.register(eventwire, { hub });
  await app.listen({ port, host: "127.0.0.1" });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/events`, http: app.server, close: () => app.close() };
}

import type { AddressInfo } from "node:net";
import type { Hub } from "@eventwire/core";
import type { StartedServer } from "@eventwire/conformance";
import Fastify from "fastify";
import eventwire from "../src/index.js";

/** A real Fastify app serving `hub` at /events, listening on `port` (0: a free one). */
export async function startServer(hub: Hub, port = 0): Promise<StartedServer> {
  const app = Fastify();
  await app.register(eventwire, { hub });
  await app.listen({ port, host: "127.0.0.1" });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/events`, close: () => app.close() };
}

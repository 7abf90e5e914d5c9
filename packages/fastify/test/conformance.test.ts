import { runConformance } from "@eventwire/conformance";
import Fastify from "fastify";
import type { AddressInfo } from "node:net";
import eventwire from "../src/index.js";

// The whole suite on a real Fastify app listening on a real port.
runConformance("fastify", async (hub) => {
  const app = Fastify();
  await app.register(eventwire, { hub });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/events`, close: () => app.close() };
});

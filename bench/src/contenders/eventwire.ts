import { createServer } from "node:http";
import { createHub as createHubHere } from "@eventwire/core";

type CreateHub = typeof createHubHere;
import type { BenchEvent } from "../payload.js";
import { closeServer, heartbeatMs, listen, maxBufferedBytes, type ContenderInfo, type ContenderServer, type Transport } from "./contender.js";

/** Eventwire on a bare node:http server, as the README shows it: `hub.sse` and `hub.handleUpgrade`. */
async function startEventwire(createHub: CreateHub): Promise<ContenderServer> {
  const hub = createHub({
    sessionKey: "callId",
    authorize: true,
    heartbeatMs,
    limits: { maxConnections: 20_000, maxBufferedBytes },
    logger: { warn() {}, error: (message, error) => console.error(message, error) },
  });
  const server = createServer((req, res) => void hub.sse(req, res));
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  const port = await listen(server);
  const noop = () => {};
  return {
    port,
    connections: () => {
      const { sse, websocket } = hub.stats().connections;
      return sse + websocket;
    },
    publish(event: BenchEvent) {
      hub.publish(event).catch(noop);
    },
    drops: () => hub.stats().events.dropped,
    async close() {
      await Promise.race([hub.close(), new Promise((resolve) => setTimeout(resolve, 3_000))]);
      await closeServer(server);
    },
  };
}

/** `name` and `createHub` let a run compare this tree's core with another build of it (see index.ts). */
export function eventwire(transport: Transport, name = "eventwire", createHub: CreateHub = createHubHere): ContenderInfo {
  return {
    name,
    transport,
    client: transport === "sse" ? "sse" : "ws",
    path: "/events",
    describe: `@eventwire/core hub on node:http (${transport === "sse" ? "hub.sse" : "hub.handleUpgrade"}), in-memory bus`,
    start: () => startEventwire(createHub),
  };
}

export const eventwireWs = eventwire("websocket");
export const eventwireSse = eventwire("sse");

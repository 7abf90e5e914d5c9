/**
 * One web process of the scale run (scale.ts): an eventwire hub on node:http sharing the Redis bus
 * with the other web processes and the agent. Answers: start, connections, memory, stats, cpu, stop.
 */
import { createServer, type Server } from "node:http";
import type { Hub } from "@eventwire/core";
import { listen } from "./contenders/contender.js";
import { serveRequests } from "./ipc.js";
import { scaleHub } from "./scale-hub.js";

let hub: Hub | undefined;
let server: Server | undefined;
setTimeout(() => process.exit(3), 30 * 60_000).unref();

async function memory(): Promise<{ heapUsed: number; rss: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

serveRequests({
  async start(request) {
    hub = await scaleHub(request.stream as string, { heartbeatMs: 15_000, limits: { maxConnections: 25_000 } });
    server = createServer((req, res) => void hub!.sse(req, res));
    server.on("upgrade", (req, socket, head) => hub!.handleUpgrade(req, socket, head));
    return { port: await listen(server), pid: process.pid };
  },
  connections: () => {
    const { sse, websocket } = hub!.stats().connections;
    return sse + websocket;
  },
  memory,
  stats: () => hub!.stats(),
  cpu: () => process.cpuUsage(),
  async stop() {
    await Promise.race([hub?.close(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    server?.closeAllConnections();
    setImmediate(() => process.exit(0));
    return true;
  },
});

/**
 * The server under test, one contender per process (started by run.ts, pinned to its own core).
 * Answers: start, connections, memory, step, stop.
 */
import { contender, type ContenderServer, type Transport } from "./contenders/index.js";
import { serveRequests } from "./ipc.js";
import { payloadMaker, type PayloadSize } from "./payload.js";
import { Publisher, type RateStep } from "./publisher.js";

let server: ContenderServer | undefined;
let publisher: Publisher | undefined;
// Every process the bench starts ends by itself, even if the parent is killed without a word.
setTimeout(() => process.exit(3), 60 * 60_000).unref();

async function memory(): Promise<{ heapUsed: number; rss: number; external: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, rss, external } = process.memoryUsage();
  return { heapUsed, rss, external };
}

serveRequests({
  async start(request) {
    const info = contender(request.transport as Transport, request.contender as string);
    server = await info.start();
    publisher = new Publisher(server, payloadMaker(request.payload as PayloadSize));
    return { port: server.port, pid: process.pid };
  },
  connections: () => server?.connections() ?? 0,
  memory,
  nextSeq: () => publisher?.seq ?? 0,
  step: (request) => publisher!.run(request.step as RateStep),
  async stop() {
    await server?.close();
    setImmediate(() => process.exit(0));
    return true;
  },
});

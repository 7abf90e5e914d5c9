/** The load generator, in its own process (started by run.ts, pinned to its own core). */
import { serveRequests } from "./ipc.js";
import { LoadClient, type ConnectOptions, type StepOptions } from "./load-client.js";

const client = new LoadClient();
setTimeout(() => process.exit(3), 60 * 60_000).unref();

serveRequests({
  connect: (request) => client.connect(request.options as ConnectOptions),
  begin: (request) => client.begin(request.step as StepOptions),
  summary: (request) => client.summary(request.w0 as number, request.w1 as number),
  closeCodes: () => Object.fromEntries(client.closeCodes),
  /** The latency histogram itself, for merging several load generators' (scale.ts). */
  histogram: () => ({ counts: Array.from(client.latency.counts), total: client.latency.total, max: client.latency.max }),
  stop() {
    client.close();
    setImmediate(() => process.exit(0));
    return true;
  },
});

/** Runs the in-process checks (publish path, send path) in their own pinned process, for run.ts. */
import { serveRequests } from "./ipc.js";
import { publishPathCheck } from "./publish-path.js";
import { sendPathCheck } from "./send-path.js";

serveRequests({
  publishPath: () => publishPathCheck(),
  async sendPath(request) {
    const path = process.env.BENCH_BASELINE_CORE;
    const baseline = path ? ((await import(path)) as typeof import("@eventwire/core")).createHub : undefined;
    return sendPathCheck({ ...(request.options as Parameters<typeof sendPathCheck>[0]), baseline });
  },
  stop() {
    setImmediate(() => process.exit(0));
    return true;
  },
});

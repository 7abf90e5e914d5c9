import { runConformanceInProcess } from "@eventwire/conformance";
import { honoRouting } from "./routing.js";
import { bun } from "./runtimes/commands.js";

// The whole suite against @eventwire/hono on Bun (hono/bun), the server in a Bun process of its own.
runConformanceInProcess("hono on bun", bun, {
  // Bun pings and drops a silent WebSocket itself (its websocket.idleTimeout).
  capabilities: { liveness: { runtimeIdleMs: 15_000 }, routing: honoRouting },
});

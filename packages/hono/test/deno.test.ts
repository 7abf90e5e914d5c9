import { runConformanceInProcess } from "@eventwire/conformance";
import { honoRouting } from "./routing.js";
import { deno } from "./runtimes/commands.js";

// The whole suite against @eventwire/hono on Deno (hono/deno), the server in a Deno process of its own.
runConformanceInProcess("hono on deno", deno, {
  // Deno pings and drops a silent WebSocket itself (idleTimeout), drops one that sends invalid UTF-8,
  // and takes no message size limit (Deno.upgradeWebSocket has no such option).
  capabilities: { liveness: { runtimeIdleMs: 15_000 }, invalidUtf8Close: 1006, messageLimitOnHeader: false, routing: honoRouting },
});

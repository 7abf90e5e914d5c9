import { runConformanceInProcess } from "@eventwire/conformance";
import { honoRouting } from "./routing.js";
import { bun } from "./runtimes/commands.js";

// The whole suite against @eventwire/hono on Bun (hono/bun), the server in a Bun process of its own.
runConformanceInProcess("hono on bun", bun, {
  capabilities: {
    // Bun pings and drops a silent WebSocket itself (its websocket.idleTimeout).
    liveness: { runtimeIdleMs: 15_000 },
    routing: honoRouting,
    // Bun's server.upgrade answers a version it does not speak with 426 (RFC 6455, 4.4), does not
    // parse the subprotocol list, and takes `Upgrade: h2c` for a plain GET; a bad key it declines,
    // which the adapter answers with 400.
    handshakes: { "an unknown version": 426, "no version": 426, "a malformed subprotocol list": "stream", "an upgrade to h2c": "stream" },
  },
});

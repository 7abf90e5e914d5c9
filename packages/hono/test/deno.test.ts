import { runConformanceInProcess } from "@eventwire/conformance";
import { honoRoutingOnDeno } from "./routing.js";
import { deno } from "./runtimes/commands.js";

// The whole suite against @eventwire/hono on Deno (hono/deno), the server in a Deno process of its own.
runConformanceInProcess("hono on deno", deno, {
  capabilities: {
    // Deno pings and drops a silent WebSocket itself (idleTimeout), drops one that sends invalid UTF-8,
    // and takes no message size limit (Deno.upgradeWebSocket has no such option).
    liveness: { runtimeIdleMs: 15_000 },
    invalidUtf8Close: 1006,
    messageLimitOnHeader: false,
    routing: honoRoutingOnDeno,
    // Deno.upgradeWebSocket checks only that a key is there (it throws without one, which the
    // adapter answers with 400), hono/deno declines an `Upgrade` other than exactly `websocket`
    // (400 from the adapter), and `Upgrade: h2c` is a plain GET.
    handshakes: {
      "an unknown version": "stream",
      "no version": "stream",
      "a key of the wrong length": "stream",
      "the key twice": "stream",
      "a malformed subprotocol list": "stream",
      "an upgrade to h2c": "stream",
      "Upgrade: WebSocket": 400,
    },
    // Deno's HTTP server takes request heads larger than Node's 16 KB.
    largeHeaders: "stream",
  },
});

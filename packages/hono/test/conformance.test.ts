import { runConformance } from "@eventwire/conformance";
import { honoRouting } from "./routing.js";
import { startServer } from "./server.js";

// The whole suite on a Hono app served by @hono/node-server, WebSocket through @hono/node-ws.
runConformance("hono", (hub) => startServer(hub), { capabilities: { routing: honoRouting } });

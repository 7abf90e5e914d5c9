import { runConformance } from "@eventwire/conformance";
import { startServer } from "./server.js";

// The whole suite on a Hono app served by @hono/node-server, WebSocket through @hono/node-ws.
runConformance("hono", (hub) => startServer(hub));

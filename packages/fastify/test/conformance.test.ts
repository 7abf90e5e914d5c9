import { runConformance } from "@eventwire/conformance";
import { startServer } from "./server.js";

// The whole suite on a real Fastify app listening on a real port.
runConformance("fastify", (hub) => startServer(hub));

import { runConformance } from "@eventwire/conformance";
import { startServer } from "./server.js";

// The whole suite on a real Fastify app listening on a real port.
// find-my-way decodes the path before routing (`/%65vents` is `/events`) and answers a path it
// cannot decode with its own 400 (FST_ERR_BAD_URL), before any route.
runConformance("fastify", (hub) => startServer(hub), { capabilities: { routing: { "percent-encoded": "stream", undecodable: 400 } } });

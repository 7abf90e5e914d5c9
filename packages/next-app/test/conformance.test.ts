import { runConformanceOnHost } from "@eventwire/conformance";
import { nextStartHubs } from "@eventwire/conformance/next";
import { fixtureDir } from "./build-fixture.js";

// The whole suite against the fixture app as it is deployed: built once by `next build`
// (build-fixture.ts), each case's hub in a `next start` process of its own (its instrumentation.ts
// hosts it; app/api/events/route.ts serves it). Nothing warms a process: a case's first request
// reaches a route Next has not loaded yet. Closing the server is SIGTERM to the process, whose
// shutdown must end within 5 s. App-router routes cannot upgrade, so the suite runs every SSE case
// and asserts that no WebSocket opens.
runConformanceOnHost("next-app (next build, next start)", nextStartHubs(fixtureDir), {
  transports: ["sse"],
  // Next resolves dot segments before routing, and redirects (308) a path with a trailing or doubled slash.
  capabilities: { routing: { "dot segments": "stream", "trailing slash": 308, "double slash": 308 } },
});

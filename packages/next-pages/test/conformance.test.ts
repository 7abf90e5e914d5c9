import { runConformanceOnHost } from "@eventwire/conformance";
import { nextStartHubs } from "@eventwire/conformance/next";
import { fixtureDir } from "./build-fixture.js";

// The whole suite, both transports, against the fixture app as it is deployed: built once by
// `next build` (build-fixture.ts), each case's hub in a `next start` process of its own (its
// instrumentation.ts hosts it; pages/api/events.ts serves it). Closing the server is SIGTERM to the
// process, whose shutdown must end within 5 s.
//
// Each process gets the readiness probe the README asks of a `next start` deployment before its
// first WebSocket: one request to the route (`OPTIONS`, which must answer 204), on which the route
// claims WebSocket upgrades on its path. Under `next start` nothing else can: Next's own `upgrade`
// listener ends an upgrade on a route path until the route has run (next-start.test.ts shows it,
// and that the route's first request, an SSE one there, is served on a cold process).

// Next resolves dot segments before routing, redirects (308) a path with a trailing or doubled
// slash, and leaves a WebSocket upgrade that reaches no route unanswered. The route's upgrade
// takes `/api/events/` as its own path (an open finding: the SSE request there is redirected).
const unansweredUpgrade = { sse: 404, websocket: "unanswered" } as const;
const routing = {
  elsewhere: unansweredUpgrade,
  "percent-encoded": unansweredUpgrade,
  undecodable: unansweredUpgrade,
  "dot segments": { sse: "stream", websocket: "unanswered" },
  "trailing slash": { sse: 308, websocket: "stream" },
  "double slash": { sse: 308, websocket: "unanswered" },
} as const;

runConformanceOnHost("next-pages (next build, next start)", nextStartHubs(fixtureDir, { ready: claimWebSockets }), { capabilities: { routing } });

async function claimWebSockets(url: string): Promise<void> {
  const response = await fetch(url, { method: "OPTIONS", headers: { origin: "https://probe.example" } });
  if (response.status !== 204) throw new Error(`the route answered its first request (OPTIONS, the readiness probe) with ${response.status}`);
}

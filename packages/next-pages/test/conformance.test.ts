import type { Hub } from "@eventwire/core";
import { runConformance } from "@eventwire/conformance";
import { afterAll, beforeAll } from "vitest";
import { startNext, type RunningNext } from "./next-server.js";

// The whole suite against the fixture app built with `next build` and served by Next in production
// mode. pages/api/events.ts serves whichever hub is in globalThis.__eventwireTestHub, so each test's
// hub is installed there; one Next server serves them all, as one serves a hub for its lifetime.
const fixture = globalThis as { __eventwireTestHub?: Hub };
let next: RunningNext;

beforeAll(async () => {
  next = await startNext(false);
  // Next hands WebSocket upgrades to no API route: the route claims its path on the Node server the
  // first time it runs. One request here, as any deployment serves one before its first WebSocket.
  const { createHub } = await import("@eventwire/core");
  fixture.__eventwireTestHub = createHub({ authorize: true, logger: { warn() {}, error() {} } });
  const preflight = await fetch(`${next.origin}/api/events`, { method: "OPTIONS", headers: { origin: "https://warm.example" } });
  if (preflight.status !== 204) throw new Error(`the route answered its first request with ${preflight.status}`);
  await fixture.__eventwireTestHub.close();
});

afterAll(async () => {
  delete fixture.__eventwireTestHub;
  await next?.close();
});

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

runConformance(
  "next-pages (next build, production server)",
  async (hub) => {
    fixture.__eventwireTestHub = hub;
    return { url: `${next.origin}/api/events`, close: async () => {} };
  },
  { capabilities: { routing } },
);

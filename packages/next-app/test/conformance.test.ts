import type { Hub } from "@eventwire/core";
import { runConformance } from "@eventwire/conformance";
import { startNextInProcess, type InProcessNext } from "@eventwire/conformance/next";
import { afterAll, beforeAll } from "vitest";
import { fixtureDir } from "./build-fixture.js";

// The whole suite against the fixture app built with `next build` and served by Next in production
// mode, in this process: app/api/events/route.ts serves whichever hub is in
// globalThis.__eventwireTestHub, so each test's hub is installed there. App-router routes cannot
// upgrade, so the suite runs every SSE case and asserts that no WebSocket opens.
const fixture = globalThis as { __eventwireTestHub?: Hub };
let next: InProcessNext;

beforeAll(async () => {
  next = await startNextInProcess(fixtureDir, false);
});

afterAll(async () => {
  delete fixture.__eventwireTestHub;
  await next?.close();
});

runConformance(
  "next-app (next build, production server)",
  async (hub) => {
    fixture.__eventwireTestHub = hub;
    return { url: `${next.origin}/api/events`, close: async () => {} };
  },
  // Next resolves dot segments before routing, and redirects (308) a path with a trailing or doubled slash.
  { transports: ["sse"], capabilities: { routing: { "dot segments": "stream", "trailing slash": 308, "double slash": 308 } } },
);

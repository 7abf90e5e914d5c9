import type { Hub } from "@eventwire/core";
import type { StartedServer } from "@eventwire/conformance";
import { startNextInProcess } from "@eventwire/conformance/next";
import { fixtureDir } from "./build-fixture.js";

/**
 * The fixture app (built by test/build-fixture.ts) on Next's production server, on `port` (0: a
 * free one), its route serving `hub` at /api/events: for a process of its own (see the crash test).
 */
export async function startServer(hub: Hub, port = 0): Promise<StartedServer> {
  (globalThis as { __eventwireTestHub?: Hub }).__eventwireTestHub = hub;
  const next = await startNextInProcess(fixtureDir, false, port);
  return { url: `${next.origin}/api/events`, close: () => next.close() };
}

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ClientScope } from "@eventwire/conformance";
import { startNextInProcess, type InProcessNext } from "@eventwire/conformance/next";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { globalHub } from "../src/index.js";
import { fixtureDir } from "./build-fixture.js";

// The fixture app under Next's dev server (Turbopack), in this process: a dev reload re-evaluates
// app/api/live/route.ts; the hub it serves is kept on globalThis, so it outlives the reload.
const liveRoute = path.join(fixtureDir, "app/api/live/route.ts");
const liveSource = readFileSync(liveRoute, "utf8");
const counters = () => (globalThis as { __eventwireLiveCounters?: { evaluated: number; created: number } }).__eventwireLiveCounters;
const liveHub = () => globalHub("live", () => { throw new Error("the live route has not made its hub yet"); });

let next: InProcessNext;
const scope = new ClientScope();

beforeAll(async () => {
  next = await startNextInProcess(fixtureDir, true);
});
afterEach(() => scope.closeAll());
afterAll(async () => {
  writeFileSync(liveRoute, liveSource);
  if (counters()) await liveHub().close();
  await next?.close();
});

/** Requests the route (which compiles it, after a change) until it has been evaluated `times` times. */
async function evaluated(times: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(`${next.origin}/api/live`, { method: "OPTIONS" });
    if (response.status !== 204) throw new Error(`the live route answered ${response.status}: ${await response.text()}`);
    if ((counters()?.evaluated ?? 0) >= times) return;
    if (Date.now() > deadline) throw new Error(`the live route was evaluated ${counters()?.evaluated} times, not ${times}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("next dev", () => {
  it("keeps one hub across a reload of the route: streams opened before and after share it", { timeout: 120_000 }, async () => {
    await evaluated(1);
    const before = await scope.sse(`${next.origin}/api/live?session=D1`);
    expect(before.status).toBe(200);
    expect(counters()!.created).toBe(1);

    writeFileSync(liveRoute, `${liveSource}\n// reloaded by dev-server.test.ts\n`);
    scope.defer(() => writeFileSync(liveRoute, liveSource));
    await evaluated(counters()!.evaluated + 1);

    expect(counters()!.created).toBe(1);
    const after = await scope.sse(`${next.origin}/api/live?session=D1`);
    expect(liveHub().stats().connections.sse).toBe(2);
    const id = await liveHub().publish({ event: "bot.word", sessionId: "D1", word: "still here" });
    for (const client of [before, after]) await client.waitForEvents(1);
    for (const client of [before, after]) expect(client.events).toEqual([{ event: "bot.word", sessionId: "D1", word: "still here", id }]);
  });
});

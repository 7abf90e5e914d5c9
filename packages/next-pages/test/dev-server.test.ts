import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ClientScope } from "@eventwire/conformance";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { globalHub } from "../src/index.js";
import { fixtureDir } from "./build-fixture.js";
import { startNext, type RunningNext } from "./next-server.js";

// The fixture app under Next's dev server (Turbopack), in this process: a dev reload re-evaluates
// pages/api/live.ts, and Next's HMR WebSocket shares the server's `upgrade` event with the route.
const livePage = path.join(fixtureDir, "pages/api/live.ts");
const liveSource = readFileSync(livePage, "utf8");
const counters = () => (globalThis as { __eventwireLiveCounters?: { evaluated: number; created: number } }).__eventwireLiveCounters;
const liveHub = () => globalHub("live", () => { throw new Error("the live route has not made its hub yet"); });
const claimsOf = (target: object) => Object.getOwnPropertySymbols(target).filter((symbol) => symbol === Symbol.for("eventwire.upgrade-routes"));

let next: RunningNext;
let wsOrigin: string;
const scope = new ClientScope();

beforeAll(async () => {
  next = await startNext(true);
  wsOrigin = next.origin.replace("http", "ws");
});
afterEach(() => scope.closeAll());
afterAll(async () => {
  writeFileSync(livePage, liveSource);
  await counters() && liveHub().close();
  await next?.close();
});

const sse = (url: string) => scope.sse(url);

const ws = (url: string) => scope.ws(url);

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
  it("keeps one hub and one upgrade claim across a reload of the route", { timeout: 120_000 }, async () => {
    await evaluated(1);
    const evaluatedBefore = counters()!.evaluated;
    const stream = await sse(`${next.origin}/api/live`);
    const before = await ws(`${wsOrigin}/api/live`);
    const listeners = next.server.listenerCount("upgrade");
    expect(listeners).toBe(2); // Next's (HMR) and the route's claim
    expect(counters()!.created).toBe(1);

    // A dev reload: the route's source changes, Next recompiles it and evaluates it again.
    writeFileSync(livePage, `${liveSource}\n// reloaded by dev-server.test.ts\n`);
    scope.defer(() => writeFileSync(livePage, liveSource));
    await evaluated(evaluatedBefore + 1);

    // The same hub, still serving the connections opened before; the claim installed once.
    expect(counters()!.created).toBe(1);
    expect(next.server.listenerCount("upgrade")).toBe(listeners);
    expect(claimsOf(next.server)).toHaveLength(1);
    const after = await ws(`${wsOrigin}/api/live`);
    expect(liveHub().stats().connections).toEqual({ sse: 1, websocket: 2 });
    const id = await liveHub().publish({ event: "bot.word", word: "still here" });
    for (const client of [stream, before, after]) await client.waitForEvents(1);
    for (const client of [stream, before, after]) expect(client.events).toEqual([{ event: "bot.word", word: "still here", id }]);
  });

  it("leaves Next's HMR WebSocket (/_next/hmr) to Next", async () => {
    await evaluated(1);
    const websockets = liveHub().stats().connections.websocket;
    const hmr = new WebSocket(`${wsOrigin}/_next/hmr?id=eventwire-test`);
    scope.defer(() => hmr.terminate());
    const firstMessage = new Promise<string>((resolve) => hmr.once("message", (data) => resolve(data.toString())));
    const opened = await new Promise<string>((resolve) => {
      hmr.once("open", () => resolve("open"));
      hmr.once("unexpected-response", (_request, response) => resolve(`refused ${response.statusCode}`));
      hmr.once("error", (error) => resolve(`failed: ${error.message}`));
    });
    expect(opened).toBe("open");
    // Next's HMR server speaks first, in its own JSON; the hub never saw this socket.
    expect(JSON.parse(await firstMessage)).toHaveProperty("type");
    expect(liveHub().stats().connections.websocket).toBe(websockets);
  });
});

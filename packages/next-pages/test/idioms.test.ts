import { createHub, type Hub } from "@eventwire/core";
import { ClientScope, until } from "@eventwire/conformance";
import { attemptWebSocket } from "./websocket-attempt.js";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { attach, eventwire, globalHub } from "../src/index.js";
import { startNext, type RunningNext } from "./next-server.js";

// Each test starts its own production Next server for the fixture app, in this process: the live
// route's hub (globalHub("live")) is the one this file reaches through globalHub too.
const scope = new ClientScope();
afterEach(() => scope.closeAll());
afterAll(async () => {
  await liveHub().close();
});

const liveHub = () => globalHub("live", () => { throw new Error("the live route has not made its hub yet"); });

async function started(): Promise<RunningNext> {
  const next = await startNext(false);
  scope.defer(() => next.close());
  return next;
}

const sse = (url: string, headers?: Record<string, string>) => scope.sse(url, headers);

const ws = (url: string) => scope.ws(url);

const attempt = (url: string) => attemptWebSocket(scope, url);

describe("WebSockets on the route's own path", () => {
  it("are refused with 503 on a fresh custom server until the route has run once, the refusal itself claiming the path", async () => {
    const next = await started();
    const wsUrl = `${next.origin.replace("http", "ws")}/api/live`;
    // No `upgrade` listener yet (Next adds its own on its first request): Node hands the upgrade to
    // Next's request handler as a plain GET, and the route answers 503 with Retry-After.
    expect(await attempt(wsUrl)).toBe("refused 503");
    const client = await ws(wsUrl);
    const id = await liveHub().publish({ event: "agent.status", state: "ready" });
    await client.waitForEvents(1);
    expect(client.events).toEqual([{ event: "agent.status", state: "ready", id }]);
  });

  it("are claimed once per server, however many requests the route serves", async () => {
    const next = await started();
    for (let i = 0; i < 3; i++) expect((await fetch(`${next.origin}/api/live`, { method: "OPTIONS" })).status).toBe(204);
    const claims = Object.getOwnPropertySymbols(next.server).filter((symbol) => symbol === Symbol.for("eventwire.upgrade-routes"));
    expect(claims).toHaveLength(1);
    // Next's listener (installed on its first request) and the claim's.
    expect(next.server.listenerCount("upgrade")).toBe(2);
  });

  it("work from the first WebSocket with attach(server) in a custom server, and the route's claim then replaces it", async () => {
    const next = await started();
    const hub = createHub({ authorize: true, logger: { warn() {}, error() {} } });
    scope.defer(() => hub.close());
    attach(next.server, hub, { path: "/api/live" });
    const early = await ws(`${next.origin.replace("http", "ws")}/api/live`);
    const id = await hub.publish({ event: "call.started" });
    await early.waitForEvents(1);
    expect(early.events).toEqual([{ event: "call.started", id }]);
    expect(hub.stats().connections.websocket).toBe(1);

    // The route's first request claims the path for the route's hub: one interception still.
    expect((await fetch(`${next.origin}/api/live`, { method: "OPTIONS" })).status).toBe(204);
    const later = await ws(`${next.origin.replace("http", "ws")}/api/live`);
    await until(() => liveHub().stats().connections.websocket === 1, "the live hub to serve the new socket");
    expect(later.closeCode).toBeUndefined();
    expect(next.server.listenerCount("upgrade")).toBe(2);
  });

  it("answers 500 to an upgrade when the route's hub cannot be had, and the server lives on", async () => {
    const next = await started();
    const errors: unknown[][] = [];
    const logged = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    scope.defer(() => void (console.error = logged));
    // pages/api/events.ts asks globalThis.__eventwireTestHub for its hub; no test installed one here.
    expect((await fetch(`${next.origin}/api/events`, { method: "OPTIONS" })).status).toBe(500);
    expect(await attempt(`${next.origin.replace("http", "ws")}/api/events`)).toBe("refused 500");
    expect(errors.filter(([message]) => message === "[eventwire] no hub to serve a WebSocket upgrade").map(([, error]) => (error as Error).message)).toEqual(["no test hub installed"]);
    expect((await fetch(`${next.origin}/api/live`, { method: "OPTIONS" })).status).toBe(204);
  });
});

describe("SSE through Next", () => {
  it("streams at once past Next's compression: no content-encoding, the first event before the response ends", async () => {
    const next = await started();
    const stream = await sse(`${next.origin}/api/live?session=S9`, { "accept-encoding": "gzip, deflate, br" });
    expect(stream.status).toBe(200);
    expect(stream.headers["content-encoding"]).toBe("identity");
    expect(stream.headers["cache-control"]).toBe("no-cache, no-transform");
    const id = await liveHub().publish({ event: "bot.word", sessionId: "S9", word: "hello" });
    await stream.waitForEvents(1);
    expect(stream.events).toEqual([{ event: "bot.word", sessionId: "S9", word: "hello", id }]);
    expect(stream.ended).toBe(false);
  });

  it("answers 405 to methods other than GET and OPTIONS", async () => {
    const next = await started();
    const response = await fetch(`${next.origin}/api/live`, { method: "POST", body: "{}" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, OPTIONS");
    expect(await response.json()).toEqual({ error: "method_not_allowed", message: "this route serves GET (SSE or WebSocket) and OPTIONS" });
  });
});

describe("globalHub", () => {
  it("makes a hub once per key and process, whichever copy of the module asks", () => {
    let made = 0;
    const make = () => (made++, createHub({ authorize: true, logger: { warn() {}, error() {} } }));
    const first = globalHub("idioms-test", make);
    scope.defer(() => first.close());
    expect(globalHub("idioms-test", make)).toBe(first);
    expect(made).toBe(1);
    const store = (globalThis as Record<symbol, Map<string, Hub>>)[Symbol.for("eventwire.hubs")];
    expect(store?.get("idioms-test")).toBe(first);
  });

  it("rejects a path that does not start with a slash", () => {
    const hub = newHub();
    expect(() => eventwire(hub, { path: "api/live" })).toThrow(new TypeError('eventwire: path must be a path starting with "/" (got "api/live")'));
  });
});

function newHub(): Hub {
  const hub = createHub({ authorize: true, logger: { warn() {}, error() {} } });
  scope.defer(() => hub.close());
  return hub;
}

import { ClientScope, SseClient, WsClient } from "@eventwire/conformance";
import { startNextCli, type RunningNext } from "@eventwire/conformance/next";
import { attemptWebSocket } from "./websocket-attempt.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fixtureDir } from "./build-fixture.js";

// The built fixture app under the `next start` CLI, in its own process: the deployment the README
// describes, where nothing but the route itself can reach the Node server.
let next: RunningNext;
let origin: string;
const scope = new ClientScope();

beforeAll(async () => {
  next = await startNextCli(fixtureDir);
  origin = next.origin;
});

afterEach(() => scope.closeAll());

afterAll(() => next?.close());

const attempt = (url: string) => attemptWebSocket(scope, url);

describe("next start", () => {
  it("ends WebSockets on the route until it has run once; then serves SSE and WebSocket from one hub", async () => {
    const wsUrl = `${origin.replace("http", "ws")}/api/live?session=C1`;
    // Next's own upgrade listener ends upgrades on route paths: the documented first-request caveat.
    expect(await attempt(wsUrl)).toBe("failed: socket hang up");

    const stream = await SseClient.open(`${origin}/api/live?session=C1`, { "accept-encoding": "gzip" });
    scope.defer(() => stream.close());
    expect(stream.status).toBe(200);
    expect(stream.headers["content-encoding"]).toBe("identity");
    const socket = await WsClient.connect(wsUrl);
    scope.defer(() => socket.close());

    const published = await fetch(`${origin}/api/publish`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ event: "call.started", sessionId: "C1" }) });
    const { id } = (await published.json()) as { id: string };
    await stream.waitForEvents(1);
    await socket.waitForEvents(1);
    expect(stream.events).toEqual([{ event: "call.started", sessionId: "C1", id }]);
    expect(socket.events).toEqual([{ event: "call.started", sessionId: "C1", id }]);
    expect(stream.ended).toBe(false);
  });
});

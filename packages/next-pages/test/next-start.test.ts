import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { ClientScope, SseClient, WsClient } from "@eventwire/conformance";
import { attemptWebSocket } from "./websocket-attempt.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fixtureDir } from "./build-fixture.js";

// The built fixture app under the `next start` CLI, in its own process: the deployment the README
// describes, where nothing but the route itself can reach the Node server.
const nextBin = path.resolve(fixtureDir, "../../../../node_modules/next/dist/bin/next");
let child: ChildProcess;
let origin: string;
const scope = new ClientScope();

beforeAll(async () => {
  child = spawn(process.execPath, [nextBin, "start", "-p", "0", "-H", "127.0.0.1", fixtureDir], {
    env: { ...process.env, NODE_ENV: "production" as const, NEXT_TELEMETRY_DISABLED: "1", NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`next start did not report its URL:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (url && /Ready in/.test(output)) {
        clearTimeout(timer);
        resolve(url[0]);
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once("exit", (code) => reject(new Error(`next start exited with ${code}:\n${output}`)));
  });
});

afterEach(() => scope.closeAll());

afterAll(async () => {
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid, "SIGTERM"); // its process group: next start and anything it started
  const killer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(killer);
});

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

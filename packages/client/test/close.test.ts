import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClient, type ClientBuild } from "./helpers/build-client.js";
import { startHubServer, type HubServer } from "./helpers/hub-server.js";

/**
 * `close()` must leave nothing behind: no timer (liveness, healthy, backoff), socket or listener.
 * The check is black-box: a Node process that opens streams, waits until they are connected (or
 * waiting out a 60 s backoff) and closes them must exit at once, since anything left would keep
 * it alive (the client's timers run 5 s and more).
 */
const script = `
import { createEventStream } from "./dist/index.js";
import { WebSocket } from "ws";

const [live, dead] = process.argv.slice(2);
const open = (url, transport) => createEventStream({ url, transport, WebSocket, reconnect: { initialDelayMs: 60_000 } });
const streams = [open(live, "websocket"), open(live, "sse"), open(dead, "websocket"), open(dead, "sse")];
const awaited = ["connected", "connected", "reconnecting", "reconnecting"];
await Promise.all(
  streams.map((stream, i) => new Promise((resolve) => {
    const off = stream.onStatus((status) => {
      if (status === awaited[i]) { off(); resolve(); }
    });
  })),
);
const pending = streams[0].send({ action: "slow" }).catch((error) => error.code);
let lateCalls = 0;
for (const stream of streams) stream.on("*", () => lateCalls++);
for (const stream of streams) stream.close();
console.log(JSON.stringify({ statuses: streams.map((s) => s.status), pending: await pending, at: Date.now() }));
process.on("exit", () => console.log(JSON.stringify({ exit: Date.now(), lateCalls })));
`;

describe("close()", () => {
  let build: ClientBuild;
  let server: HubServer;

  beforeAll(async () => {
    build = await buildClient();
    await writeFile(join(build.dir, "close-check.mjs"), script);
    server = await startHubServer();
    server.hub.action("slow", () => new Promise(() => {}));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await build?.remove();
  });

  it("lets Node exit at once, from live connections and from a backoff wait, rejecting pending sends", async () => {
    const nothing = await startHubServer();
    const deadUrl = nothing.url;
    await nothing.close();

    const child = spawn(process.execPath, ["close-check.mjs", server.url, deadUrl], { cwd: build.dir });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const killer = setTimeout(() => child.kill(), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearTimeout(killer);

    expect(stderr).toBe("");
    expect(code).toBe(0);
    const [closed, exited] = stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(closed.statuses).toEqual(["closed", "closed", "closed", "closed"]);
    expect(closed.pending).toBe("closed");
    expect(exited.lateCalls).toBe(0);
    // Anything close() left behind would hold the process for 5 s or more (the client's shortest
    // timer; the backoff waits 60 s): well under that is "at once", with room for a loaded machine.
    expect(exited.exit - closed.at).toBeLessThan(3_000);
  });
});

import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { Connection } from "./connection.js";
import { createHub, type Hub } from "./hub.js";
import { streamLifetimeMs } from "./stream-lifetime.js";

const quiet = { warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

async function served(hub: Hub): Promise<number> {
  const server = http.createServer((req, res) => void hub.sse(req, res));
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
  return (server.address() as AddressInfo).port;
}

function openWs(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/events`);
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
    cleanups.push(() => socket.terminate());
  });
}

describe("streamLifetimeMs (maxStreamMs jitter)", () => {
  it("is never longer than maxStreamMs and never shorter than 90% of it (the jitter)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (maxStreamMs, random) => {
        const lifetime = streamLifetimeMs(maxStreamMs, () => random);
        expect(lifetime).toBeLessThanOrEqual(maxStreamMs);
        expect(lifetime).toBeGreaterThanOrEqual(maxStreamMs * 0.9);
      }),
    );
  });

  it("spreads streams opened together over that tenth", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: 600_000 }), (maxStreamMs) => {
        expect(streamLifetimeMs(maxStreamMs, () => 0)).toBe(maxStreamMs);
        expect(streamLifetimeMs(maxStreamMs, () => 0.5)).toBe(maxStreamMs * 0.95);
      }),
    );
  });
});

describe("createHub({ maxStreamMs })", () => {
  it("gives each stream its own jittered lifetime, and none without maxStreamMs", async () => {
    const lifetimes: number[] = [];
    const endAfter = Connection.prototype.endAfter;
    vi.spyOn(Connection.prototype, "endAfter").mockImplementation(function (this: Connection, ms: number) {
      lifetimes.push(ms);
      endAfter.call(this, ms);
    });
    const hub = createHub({ authorize: true, logger: quiet, maxStreamMs: 600_000 });
    const port = await served(hub);
    await Promise.all(Array.from({ length: 20 }, () => openWs(port)));
    while (hub.stats().connections.websocket < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(lifetimes).toHaveLength(20);
    for (const lifetime of lifetimes) expect(lifetime > 540_000 && lifetime <= 600_000).toBe(true);
    expect(new Set(lifetimes).size).toBeGreaterThan(10);

    const unbounded = createHub({ authorize: true, logger: quiet });
    const other = await served(unbounded);
    await openWs(other);
    while (unbounded.stats().connections.websocket < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(lifetimes).toHaveLength(20);
  });

  it("closes a rotated WebSocket with 1012 and ends a rotated SSE stream with a reconnect comment", async () => {
    const hub = createHub({ authorize: true, logger: quiet, maxStreamMs: 100 });
    const port = await served(hub);
    const socket = await openWs(port);
    const code = new Promise<number>((resolve) => socket.once("close", resolve));
    const body = await new Promise<string>((resolve, reject) => {
      const request = http.get(`http://127.0.0.1:${port}/events`, { agent: false }, (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => resolve(text));
      });
      request.once("error", reject);
      cleanups.push(() => void request.destroy());
    });
    expect(await code).toBe(1012);
    expect(body).toMatch(/^retry: \d+\n\n: reconnect\n\n$/);
    // The client reads the close frame before the server's socket has closed: wait, bounded.
    const deadline = Date.now() + 5_000;
    while (hub.stats().connections.websocket > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(hub.stats().connections).toEqual({ sse: 0, websocket: 0 });
  });

  it.each([
    ["maxStreamMs", 100, 60_000, 1012],
    ["the grant's expiresAt", 60_000, 100, 4419],
  ])("ends a stream at whichever comes first of maxStreamMs and expiresAt: %s", async (_first, maxStreamMs, expiresInMs, closeCode) => {
    const hub = createHub({ authorize: () => ({ expiresAt: Date.now() + expiresInMs }), logger: quiet, maxStreamMs });
    const socket = await openWs(await served(hub));
    let code: number | undefined;
    socket.once("close", (closed) => (code = closed));
    // The later one is a minute away: a stream still open after 5 s kept the wrong end.
    const deadline = Date.now() + 5_000;
    while (code === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(code).toBe(closeCode);
  });

  it.each([-1, Number.NaN, 2 ** 31, Number.POSITIVE_INFINITY, "60000"])("refuses maxStreamMs %s", (maxStreamMs) => {
    expect(() => createHub({ logger: quiet, maxStreamMs: maxStreamMs as number })).toThrow(
      new TypeError(`createHub: maxStreamMs must be 0 (streams live until closed) or a number of ms up to 2147483647, got ${String(maxStreamMs)}`),
    );
  });
});

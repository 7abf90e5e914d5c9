import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createHub, type Hub } from "./hub.js";

const quiet = { warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `count` WebSockets on a hub served by node:http; resolves once the hub counts them all. */
async function sockets(hub: Hub, count: number): Promise<{ closedAt: number[]; codes: number[] }> {
  const server = http.createServer();
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  const { port } = server.address() as AddressInfo;
  const closedAt: number[] = [];
  const codes: number[] = [];
  await Promise.all(
    Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/events`);
      socket.once("open", () => resolve());
      socket.once("error", reject);
      socket.once("close", (code) => (closedAt.push(Date.now()), codes.push(code)));
      cleanups.push(() => socket.terminate());
    })),
  );
  while (hub.stats().connections.websocket < count) await new Promise((resolve) => setTimeout(resolve, 5));
  return { closedAt, codes };
}

describe("hub.close() spreads the closes (docs/protocol.md#shutdown, closeRate)", () => {
  it("closes closeRate connections a second, in batches every 10 ms, each with 1001, and resolves once all are gone", async () => {
    const hub = createHub({ authorize: true, logger: quiet, closeRate: 1_000 });
    const { closedAt, codes } = await sockets(hub, 60);
    const started = Date.now();
    await hub.close();
    expect(hub.stats().connections.websocket).toBe(0);
    while (codes.length < 60) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(codes).toEqual(Array.from({ length: 60 }, () => 1001));
    // Six batches of ten, 10 ms apart: the last closes at least 50 ms after the first.
    expect(Math.max(...closedAt) - Math.min(...closedAt)).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("closes every connection at once with closeRate Infinity, or when there are fewer than a batch", async () => {
    for (const [closeRate, count] of [[Number.POSITIVE_INFINITY, 60], [2_000, 20]] as const) {
      const hub = createHub({ authorize: true, logger: quiet, closeRate });
      const { codes } = await sockets(hub, count);
      const started = Date.now();
      await hub.close();
      expect(Date.now() - started).toBeLessThan(1_000);
      while (codes.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(codes).toEqual(Array.from({ length: count }, () => 1001));
    }
  });

  it("refuses a closeRate that is not a positive number", () => {
    expect(() => createHub({ logger: quiet, closeRate: 0 })).toThrow(/closeRate must be a positive number/);
  });
});

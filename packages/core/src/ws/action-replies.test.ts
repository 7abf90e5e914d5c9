import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ActionError } from "../actions.js";
import { createHub, type Hub } from "../hub.js";

/**
 * No value an action handler produces crashes the process (docs/protocol.md#load-and-bad-input):
 * what it throws, rejects with, returns, or a thenable it returns, is answered with an `error` (or
 * an `ack`) and the connection stays open.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connect(): Promise<{ hub: Hub; call(message: object): Promise<Record<string, unknown>> }> {
  const hub = createHub({ authorize: true, logger: { warn() {}, error() {} }, limits: { actionsPerSecond: 1_000_000 } });
  const server = http.createServer();
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
  const socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/events`);
  cleanups.push(() => socket.terminate());
  await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
  const waiting = new Map<unknown, (reply: Record<string, unknown>) => void>();
  socket.on("message", (data) => {
    const reply = JSON.parse(String(data)) as Record<string, unknown>;
    waiting.get(reply.ref)?.(reply);
  });
  let refs = 0;
  return {
    hub,
    call: (message) =>
      new Promise((resolve, reject) => {
        const ref = ++refs;
        const timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(message)}`)), 10_000);
        waiting.set(ref, (reply) => (clearTimeout(timer), waiting.delete(ref), resolve(reply)));
        socket.send(JSON.stringify({ ...message, ref }));
      }),
  };
}

/** Values `String()` cannot convert, and their relatives. */
const hostile = {
  "a null-prototype object": () => Object.create(null),
  "an object whose toString throws": () => ({ toString() { throw new Error("no"); } }),
  "an object whose toString throws a null-prototype object": () => ({ toString() { throw Object.create(null); } }),
  "an Error whose message getter throws": () => Object.defineProperty(new Error(), "message", { get() { throw Object.create(null); } }),
  "a Symbol": () => Symbol("s"),
  "a revoked Proxy": () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; },
  "a Proxy whose prototype trap throws": () => new Proxy({}, { getPrototypeOf() { throw Object.create(null); } }),
};

describe("action handlers (docs/protocol.md#wire-protocol, #load-and-bad-input)", () => {
  it.each(Object.entries(hostile))("answers action_failed when a handler throws %s, and stays open", async (_name, make) => {
    const { hub, call } = await connect();
    hub.action("bad", () => { throw make(); });
    expect(await call({ action: "bad" })).toMatchObject({ event: "error", code: "action_failed", message: expect.any(String) });
    expect(await call({ action: "ping" })).toMatchObject({ event: "pong" });
  });

  it.each(Object.entries(hostile))("answers action_failed when a handler rejects with %s, and stays open", async (_name, make) => {
    const { hub, call } = await connect();
    hub.action("bad", () => Promise.reject(make()));
    expect(await call({ action: "bad" })).toMatchObject({ event: "error", code: "action_failed" });
    expect(await call({ action: "ping" })).toMatchObject({ event: "pong" });
  });

  it.each(Object.entries(hostile))("answers action_failed when a result's toJSON throws %s", async (_name, make) => {
    const { hub, call } = await connect();
    hub.action("sync", () => ({ toJSON() { throw make(); } }));
    hub.action("async", async () => ({ toJSON() { throw make(); } }));
    for (const action of ["sync", "async"]) {
      expect(await call({ action })).toMatchObject({ event: "error", code: "action_failed", message: expect.stringMatching(/^the action's result cannot be encoded as JSON: /) });
    }
    expect(await call({ action: "ping" })).toMatchObject({ event: "pong" });
  });

  it("answers action_failed for a returned thenable whose then throws, or whose then getter throws", async () => {
    const { hub, call } = await connect();
    hub.action("then-throws", () => ({ then() { throw Object.create(null); } }));
    hub.action("then-getter-throws", () => Object.defineProperty({}, "then", { get() { throw Object.create(null); } }));
    hub.action("then-rejects", () => ({ then(_resolve: unknown, reject: (error: unknown) => void) { reject({ toString: null }); } }));
    hub.action("then-resolves", () => ({ then(resolve: (value: unknown) => void) { resolve({ ok: 1 }); } }));
    expect(await call({ action: "then-throws" })).toMatchObject({ event: "error", code: "action_failed" });
    expect(await call({ action: "then-getter-throws" })).toMatchObject({ event: "error", code: "action_failed" });
    expect(await call({ action: "then-rejects" })).toMatchObject({ event: "error", code: "action_failed" });
    expect(await call({ action: "then-resolves" })).toMatchObject({ event: "ack", result: { ok: 1 } });
  });

  it("keeps an ActionError's own code", async () => {
    const { hub, call } = await connect();
    hub.action("busy", () => { throw new ActionError("busy", "try later"); });
    expect(await call({ action: "busy" })).toMatchObject({ event: "error", code: "busy", message: "try later" });
  });

  it("answers every generated thrown, rejected or returned value with one reply, and stays open", async () => {
    const { hub, call } = await connect();
    let next: { kind: "throw" | "reject" | "return"; value: unknown } = { kind: "return", value: undefined };
    hub.action("any", () => (next.kind === "throw" ? (() => { throw next.value; })() : next.kind === "reject" ? Promise.reject(next.value) : next.value));
    // Hostile values are made inside the property: fast-check itself cannot inspect a revoked Proxy.
    const values = fc.oneof(
      fc.anything({ withNullPrototype: true, withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }).map((value) => ({ value })),
      fc.constantFrom(...(Object.keys(hostile) as (keyof typeof hostile)[])).map((name) => ({ name })),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("throw" as const, "reject" as const, "return" as const), values, async (kind, generated) => {
        next = { kind, value: "name" in generated ? hostile[generated.name]() : generated.value };
        const reply = await call({ action: "any" });
        expect(["ack", "error"]).toContain(reply.event);
      }),
      { numRuns: 150 },
    );
    expect(await call({ action: "ping" })).toMatchObject({ event: "pong" });
  });
});

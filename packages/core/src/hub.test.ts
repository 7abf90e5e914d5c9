import { EventEmitter } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { BusContext } from "./bus/bus.js";
import { MemoryBus } from "./bus/memory-bus.js";
import { Connection } from "./connection.js";
import { createHub, type Hub } from "./hub.js";

const quiet = { warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

/** A hub on a bare node:http server, and a way to open many real connections to it. */
async function served(hub: Hub) {
  const server = http.createServer((req, res) => void hub.sse(req, res));
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
  const sse = (query: string) =>
    new Promise<http.IncomingMessage>((resolve) => {
      const request = http.get(`http://127.0.0.1:${port}/events?${query}`, { agent: false }, resolve);
      cleanups.push(() => void request.destroy());
    });
  const ws = (query: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/events?${query}`);
      socket.once("open", () => resolve(socket));
      socket.once("error", reject);
      cleanups.push(() => socket.terminate());
    });
  return { sse, ws };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("routing (docs/protocol.md#load-and-bad-input)", () => {
  it("costs a session-scoped event its receivers, not every connection", async () => {
    const hub = createHub({ authorize: true, logger: quiet, sessionKey: "callId" });
    const { sse } = await served(hub);
    await Promise.all(Array.from({ length: 200 }, (_, i) => sse(`session=S${i % 100}`)));
    await until(() => hub.stats().connections.sse === 200);
    const deliver = vi.spyOn(Connection.prototype, "deliver");
    await hub.publish({ event: "bot.word", callId: "S7" });
    expect(deliver).toHaveBeenCalledTimes(2);
    await hub.publish({ event: "agent.status" }); // no session: only unscoped connections, of which there are none
    expect(deliver).toHaveBeenCalledTimes(2);
  });

  it("costs a tenant-scoped event its receivers, not every connection, with many tenants", async () => {
    const hub = createHub({ authorize: true, logger: quiet, scopes: { tenant: "orgId", agent: "agent" } });
    const { sse } = await served(hub);
    // 100 streams of one tenant each, and 100 of two tenants and one agent (filed under the agent).
    await Promise.all(Array.from({ length: 100 }, (_, i) => sse(`tenant=T${i}`)));
    await Promise.all(Array.from({ length: 100 }, (_, i) => sse(`tenant=T${i % 10},T${(i % 10) + 10}&agent=A${i}`)));
    await until(() => hub.stats().connections.sse === 200);
    const deliver = vi.spyOn(Connection.prototype, "deliver");
    await hub.publish({ event: "call.started", orgId: "T7" });
    expect(deliver).toHaveBeenCalledTimes(1);
    await hub.publish({ event: "call.started", orgId: "T7", agent: "A7" });
    expect(deliver).toHaveBeenCalledTimes(1 + 2);
    await hub.publish({ event: "agent.status" }); // no tenant, no agent: nobody here sees it
    expect(deliver).toHaveBeenCalledTimes(3);
  });

  it("encodes an event once per transport however many connections receive it", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    const { sse, ws } = await served(hub);
    const encodings = async (connections: number) => {
      await Promise.all(Array.from({ length: connections }, () => sse("")));
      const sockets = await Promise.all(Array.from({ length: connections }, () => ws("")));
      let received = 0;
      for (const socket of sockets) socket.on("message", () => received++);
      await until(() => hub.stats().connections.websocket >= connections);
      const from = vi.spyOn(Buffer, "from");
      const stringify = vi.spyOn(JSON, "stringify");
      await hub.publish({ event: "bot.word", word: "hi" });
      const counts = [from.mock.calls.length, stringify.mock.calls.length];
      from.mockRestore();
      stringify.mockRestore();
      await until(() => received === connections);
      return counts;
    };
    const few = await encodings(2);
    const many = await encodings(40);
    expect(many).toEqual(few);
    expect(few[0]).toBe(2); // one SSE frame, one WebSocket payload
  });
});

describe("sources", () => {
  it("attach without a list publishes every event the emitter emits, and detach restores emit", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    const agent = new EventEmitter();
    agent.on("error", () => {}); // an EventEmitter throws an unheard error
    const original = agent.emit;
    const detach = hub.attach(agent);
    agent.emit("call.started", { callId: "CA_1" });
    agent.emit("bot.word", "plain string");
    agent.emit("error", new Error("stt failed"));
    detach();
    expect(agent.emit).toBe(original);
    agent.emit("after", {});
    await until(() => hub.stats().events.published === 3);
    const { events } = await hub.bus.read(undefined, 10);
    expect(events.map((e) => JSON.parse(e.json))).toEqual([
      { callId: "CA_1", event: "call.started" },
      { event: "bot.word", data: "plain string" },
      { event: "error", message: "stt failed" },
    ]);
    await hub.close();
  });

  it("logs, and does not throw into the emitter, when a source's event cannot be published", async () => {
    const errors: string[] = [];
    const hub = createHub({ authorize: true, logger: { warn() {}, error: (message) => errors.push(message) } });
    const agent = new EventEmitter();
    hub.attach(agent, { events: ["bad"] });
    expect(() => agent.emit("bad", { id: "reserved" })).not.toThrow();
    expect(errors).toEqual(["[eventwire] a source emitted an event that cannot be published"]);
    await hub.close();
  });
});

describe("createHub", () => {
  it("warns once when no authorize is given, and not when one is", async () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), error() {} };
    await createHub({ logger }).close();
    await createHub({ logger, authorize: true }).close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no authorize option/);
  });

  it.each([
    [{ heartbeatMs: 0 }, /heartbeatMs must be a positive number/],
    [{ limits: { maxConnections: -1 } }, /limits.maxConnections must be a positive number/],
    [{ sessionKey: "id" }, /sessionKey must be a field name other than "id"/],
    [{ authorize: "yes" }, /authorize must be true, false or a function/],
    [{ scopes: { session: "orgId" } }, /scope name "session" must be/],
    [{ scopes: { "te nant": "orgId" } }, /scope name "te nant" must be/],
    [{ scopes: { tenant: "id" } }, /scope "tenant" must name an event field other than "id"/],
    [{ scopes: ["orgId"] }, /scopes must be an object/],
  ])("rejects bad options with a clear TypeError (%o)", (options, message) => {
    expect(() => createHub(options as never)).toThrow(message);
  });

  it("logs a grant naming an undeclared scope as a TypeError and refuses the stream (500)", async () => {
    const errors: [string, unknown][] = [];
    const hub = createHub({ scopes: { tenant: "orgId" }, authorize: () => ({ scopes: { team: ["x"] } }) as never, logger: { warn() {}, error: (m, e) => errors.push([m, e]) } });
    const refusal = await hub.admit({ method: "GET", url: "/events", headers: {} });
    expect(refusal).toMatchObject({ status: 500, code: "authorize_failed" });
    expect(errors).toEqual([["[eventwire] authorize returned an invalid grant", new TypeError('authorize: scope "team" is not declared in createHub({ scopes }) (declared: tenant)')]]);
    await hub.close();
  });

  it("throws a TypeError at once for a revocation that selects nothing or names an undeclared scope", async () => {
    const hub = createHub({ authorize: true, logger: quiet, scopes: { tenant: "orgId" } });
    expect(() => hub.revoke({})).toThrow(/give at least one of subject, session or scopes/);
    expect(() => hub.revoke({ scopes: { team: ["x"] } } as never)).toThrow(/scope "team" is not declared/);
    await hub.close();
  });

  it('refuses to replace the built-in "ping" action', async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    expect(() => hub.action("ping", () => 1)).toThrow(/built in/);
    await hub.close();
  });
});

describe("resume before the bus is open", () => {
  it("waits for the bus instead of failing the connection", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let open = false;
    // A bus that, like a Redis bus still connecting, cannot read before open() has finished.
    class ConnectingBus extends MemoryBus {
      override async open(context: BusContext): Promise<void> {
        await gate;
        await super.open(context);
        open = true;
      }
      override read(afterId: string | undefined, limit: number) {
        if (!open) return Promise.reject(new Error("cannot read: the bus is not open"));
        return super.read(afterId, limit);
      }
    }
    const errors: string[] = [];
    const hub = createHub({ authorize: true, bus: new ConnectingBus(), logger: { warn() {}, error: (m) => errors.push(m) } });
    const { sse } = await served(hub);
    const response = await sse("lastEventId=from-an-earlier-run");
    let body = "";
    response.on("data", (chunk: Buffer) => (body += chunk.toString()));
    const published = hub.publish({ event: "after.open" });
    release();
    const id = await published;
    await until(() => body.includes("after.open"));
    expect(body.split("\n").filter((line) => line.startsWith("data:"))).toEqual([
      'data: {"event":"gap","lastEventId":"from-an-earlier-run","reason":"unknown"}',
      `data: {"event":"after.open","id":"${id}"}`,
    ]);
    expect(errors).toEqual([]);
  });
});

describe("Refusal across copies of core", () => {
  it("is recognised by instanceof whichever copy of the module made it", async () => {
    const { Refusal } = await import("./authorize.js");
    const copy = (await import(/* @vite-ignore */ new URL("./authorize.ts?copy", import.meta.url).href)) as typeof import("./authorize.js");
    expect(copy.Refusal).not.toBe(Refusal);
    expect(new copy.Refusal(401, "unauthenticated", "no") instanceof Refusal).toBe(true);
    expect({ status: 401, code: "x", message: "y" } instanceof Refusal).toBe(false);
    const hub = createHub({ authorize: false, logger: quiet });
    cleanups.push(() => hub.close());
    expect((await hub.admit({ method: "GET", url: "/events", headers: {} })) instanceof copy.Refusal).toBe(true);
  });
});

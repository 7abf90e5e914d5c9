import { createHub, type Hub, type HubOptions } from "@eventwire/core";
import { ClientScope, WsClient, rawRequest, until } from "@eventwire/conformance";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import eventwire from "../src/index.js";

// Fastify idioms on real apps: prefixes, encapsulation, an app's own @fastify/websocket, close().
const scope = new ClientScope();
afterEach(() => scope.closeAll());

function hub(options: HubOptions = {}): Hub {
  const created = createHub({ authorize: true, ...options });
  scope.defer(() => created.close());
  return created;
}

function app(): FastifyInstance {
  const created = Fastify();
  scope.defer(() => created.close());
  return created;
}

/** Listens on port 0; resolves to `http://127.0.0.1:PORT`. */
async function listen(server: FastifyInstance): Promise<string> {
  await server.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
}

const sse = (url: string, headers?: Record<string, string>) => scope.sse(url, headers);

const ws = (url: string) => scope.ws(url);

/** Both transports answer at `url` and carry a published event. */
async function expectServed(base: string, path: string, served: Hub): Promise<void> {
  const stream = await sse(`${base}${path}`);
  const socket = await ws(`${base}${path}`);
  expect(stream.status).toBe(200);
  const id = await served.publish({ event: "hello" });
  await stream.waitForEvents(1);
  await socket.waitForEvents(1);
  expect(stream.events).toEqual([{ event: "hello", id }]);
  expect(socket.events).toEqual([{ event: "hello", id }]);
}

describe("@eventwire/fastify prefix", () => {
  it("applies register's prefix option, as Fastify does for plugins that are not wrapped", async () => {
    const served = hub();
    const server = app();
    await server.register(eventwire, { hub: served, prefix: "/api" });
    const base = await listen(server);
    await expectServed(base, "/api/events", served);
    expect((await server.inject({ method: "GET", url: "/events" })).statusCode).toBe(404);
  });

  it("adds the prefix of the context it is registered in, and a custom path", async () => {
    const served = hub();
    const server = app();
    await server.register(
      async (v1) => {
        await v1.register(eventwire, { hub: served, prefix: "/live", path: "/stream" });
      },
      { prefix: "/v1" },
    );
    const base = await listen(server);
    await expectServed(base, "/v1/live/stream", served);
    expect(server.printRoutes({ commonPrefix: false })).toContain("/v1/live/stream (GET, OPTIONS)");
  });
});

describe("@eventwire/fastify encapsulation", () => {
  it("decorates the context it is registered in and its children, not its parent or siblings", async () => {
    const served = hub();
    const server = app();
    const seen: Record<string, boolean> = {};
    await server.register(async (scoped) => {
      await scoped.register(eventwire, { hub: served });
      await scoped.register(async (child) => {
        seen.child = child.eventwire === served;
      });
    });
    await server.register(async (sibling) => {
      seen.sibling = sibling.hasDecorator("eventwire");
    });
    await server.ready();
    expect(seen).toEqual({ child: true, sibling: false });
    expect(server.hasDecorator("eventwire")).toBe(false);
  });

  it("registered at the root, is `app.eventwire` everywhere, typed as the Hub", async () => {
    const served = hub();
    const server = app();
    await server.register(eventwire, { hub: served });
    let inChild: Hub | undefined;
    await server.register(async (child) => {
      inChild = child.eventwire;
    });
    await server.ready();
    expectTypeOf(server.eventwire).toEqualTypeOf<Hub>();
    expect(server.eventwire).toBe(served);
    expect(inChild).toBe(served);
  });

  it("registered inside an encapsulated plugin, still closes its hub's streams on app.close()", async () => {
    const served = hub();
    const server = app();
    await server.register(async (scoped) => {
      await scoped.register(eventwire, { hub: served });
    });
    const base = await listen(server);
    const socket = await ws(`${base}/events`);
    await server.close();
    expect(await socket.waitForClose()).toBe(1001);
  });
});

describe("@eventwire/fastify with the app's own @fastify/websocket", () => {
  it("registers @fastify/websocket itself when the app has not, with the hub's message limits", async () => {
    const served = hub({ limits: { maxMessageBytes: 1024 } });
    const server = app();
    await server.register(eventwire, { hub: served });
    await server.ready();
    expect(server.websocketServer.options).toMatchObject({ ...served.wsServerOptions, maxPayload: 1024 });
  });

  it("uses it, leaves its other WebSocket routes alone, and still closes its own sockets with 1001", async () => {
    const served = hub();
    const server = app();
    await server.register(websocket);
    server.get("/chat", { websocket: true }, (socket) => {
      socket.on("message", (data) => socket.send(JSON.stringify({ echo: data.toString() })));
    });
    await server.register(eventwire, { hub: served });
    const base = await listen(server);
    await expectServed(base, "/events", served);

    const chat = new WsClient(`${base.replace(/^http/, "ws")}/chat`);
    scope.defer(() => chat.close());
    expect(await chat.opened).toBe(true);
    chat.send("hi");
    await chat.waitForMessages(1);
    expect(chat.messages).toEqual([{ echo: "hi" }]);

    const ours = await ws(`${base}/events`);
    await server.close();
    expect(await ours.waitForClose()).toBe(1001);
  });

  it("closes the socket of an upgrade Fastify answers without hooks (a target it cannot decode), when the app registered @fastify/websocket", async () => {
    const server = app();
    await server.register(websocket);
    await server.register(eventwire, { hub: hub() });
    await listen(server);
    const port = (server.server.address() as AddressInfo).port;
    const head = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
    const connections = () => new Promise<number>((resolve) => server.server.getConnections((_error, count) => resolve(count)));
    // A client that leaves after the answer leaves nothing behind.
    expect(await rawRequest(port, head("/events/%"))).toBe(400);
    await until(async () => (await connections()) === 0, "the server to let go of the socket of a client that left");
    // One that stays does not hold app.close() (it would wait for good).
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    scope.defer(() => release());
    expect(await rawRequest(port, head("/chat%zz"), { holdUntil: held })).toBe(400);
    await server.close();
  });

  it("serves two hubs from two encapsulated contexts when @fastify/websocket is registered once at the root", async () => {
    const [first, second] = [hub(), hub()];
    const server = app();
    await server.register(websocket, { options: first.wsServerOptions });
    await server.register(async (a) => a.register(eventwire, { hub: first, prefix: "/a" }));
    await server.register(async (b) => b.register(eventwire, { hub: second, prefix: "/b" }));
    const base = await listen(server);
    await expectServed(base, "/a/events", first);
    await expectServed(base, "/b/events", second);
    expect([first.stats().connections, second.stats().connections]).toEqual([{ sse: 1, websocket: 1 }, { sse: 1, websocket: 1 }]);
  });
});

describe("@eventwire/fastify hooks", () => {
  it("lets the app's own onRequest hooks guard both transports, as they guard any Fastify route", async () => {
    const server = app();
    server.addHook("onRequest", async (request, reply) => {
      if (request.headers["x-api-key"] !== "k1") await reply.code(401).send({ error: "no_key" });
    });
    await server.register(eventwire, { hub: hub() });
    const base = await listen(server);
    const refused = await sse(`${base}/events`);
    await refused.waitForEnd();
    expect([refused.status, JSON.parse(refused.body)]).toEqual([401, { error: "no_key" }]);
    const socket = new WsClient(`${base.replace(/^http/, "ws")}/events`);
    scope.defer(() => socket.close());
    expect(await socket.opened).toBe(false);
    expect(socket.refusedStatus).toBe(401);
    expect((await sse(`${base}/events`, { "x-api-key": "k1" })).status).toBe(200);
    await server.close(); // the refused upgrade's socket does not hold it open
  });
});

describe("@eventwire/fastify close", () => {
  it("app.close() ends every SSE stream and WebSocket, closes the hub and resolves", async () => {
    const served = hub();
    const server = app();
    await server.register(eventwire, { hub: served });
    const base = await listen(server);
    const streams = [await sse(`${base}/events`), await sse(`${base}/events?session=S`)];
    const sockets = [await ws(`${base}/events`), await ws(`${base}/events?session=S`)];
    expect(served.stats().connections).toEqual({ sse: 2, websocket: 2 });
    await server.close();
    expect(served.stats().connections).toEqual({ sse: 0, websocket: 0 });
    expect(await Promise.all(sockets.map((socket) => socket.waitForClose()))).toEqual([1001, 1001]);
    await Promise.all(streams.map((stream) => stream.waitForEnd()));
    await expect(served.publish({ event: "late" })).rejects.toThrow(/closed/);
  });
});

describe("@eventwire/fastify close with keep-alive clients", () => {
  it("app.close() resolves when a keep-alive client (fetch) held SSE streams, instead of waiting out keep-alive", async () => {
    const served = hub();
    const server = Fastify({ keepAliveTimeout: 600_000 }); // a hang here would outlast the test
    await server.register(eventwire, { hub: served });
    const base = await listen(server);
    const readFirstBytes = async () => {
      const response = await fetch(`${base}/events`);
      const reader = response.body!.getReader();
      await reader.read(); // the retry: line
      return { response, reader };
    };
    const cancelled = await readFirstBytes();
    await cancelled.reader.cancel();
    const open = await readFirstBytes();
    // Not through `Connection: close`, which makes fetch clients take a crashed server for a clean
    // end; nor by advertising the server's long keep-alive, which a fetch client holds a spare socket for.
    expect([open.response.headers.get("connection"), open.response.headers.get("keep-alive")]).toEqual(["keep-alive", null]);
    await server.close();
    expect((await open.reader.read()).done).toBe(true);
    expect(served.stats().connections).toEqual({ sse: 0, websocket: 0 });
  });
});

describe("@eventwire/fastify through inject and injectWS", () => {
  it("answers SSE refusals with the protocol's statuses and JSON bodies", async () => {
    const server = app();
    await server.register(eventwire, { hub: hub({ authorize: (request) => (request.headers["x-key"] === "k" ? { sessions: ["A"] } : false), allowedOrigins: ["https://app.example.com"] }) });
    const get = (url: string, headers: Record<string, string> = {}) => server.inject({ method: "GET", url, headers });
    const unauthenticated = await get("/events");
    expect([unauthenticated.statusCode, unauthenticated.json().error]).toEqual([401, "unauthenticated"]);
    const forbidden = await get("/events?session=B", { "x-key": "k" });
    expect([forbidden.statusCode, forbidden.json().error]).toEqual([403, "forbidden"]);
    const badQuery = await get("/events?events=a*b", { "x-key": "k" });
    expect([badQuery.statusCode, badQuery.json().error]).toEqual([400, "bad_request"]);
    const foreign = await get("/events", { "x-key": "k", origin: "https://evil.example.com" });
    expect([foreign.statusCode, foreign.json().error]).toEqual([403, "forbidden_origin"]);
    const preflight = await server.inject({ method: "OPTIONS", url: "/events", headers: { origin: "https://app.example.com", "access-control-request-method": "GET" } });
    expect([preflight.statusCode, preflight.headers["access-control-allow-origin"]]).toEqual([204, "https://app.example.com"]);
    expect((await server.inject({ method: "HEAD", url: "/events" })).statusCode).toBe(404);
  });

  it("refuses a foreign Origin in the WebSocket handshake with 403, and serves an allowed one", async () => {
    const served = hub({ allowedOrigins: ["https://app.example.com"] });
    const server = app();
    await server.register(eventwire, { hub: served });
    await server.ready();
    await expect(server.injectWS("/events", { headers: { origin: "https://evil.example.com" } })).rejects.toThrow("Unexpected server response: 403");
    const socket = await server.injectWS("/events", { headers: { origin: "https://app.example.com" } });
    const replies: unknown[] = [];
    socket.on("message", (data) => replies.push(JSON.parse(data.toString())));
    socket.send(JSON.stringify({ action: "ping", ref: 1 }));
    await until(() => replies.length === 1, "a pong");
    expect(replies).toEqual([{ event: "pong", ref: 1 }]);
    expect(served.stats().connections.websocket).toBe(1);
    socket.terminate();
  });

  it("fails registration with a clear error for missing or malformed options", async () => {
    const missing = app();
    // @ts-expect-error: hub is required
    await expect(missing.register(eventwire, {})).rejects.toThrow("@eventwire/fastify: options.hub is required: app.register(eventwire, { hub: createHub() })");
    const badPath = app();
    await expect(badPath.register(eventwire, { hub: hub(), path: "events" })).rejects.toThrow('@eventwire/fastify: options.path must be a string starting with "/", got "events"');
  });
});

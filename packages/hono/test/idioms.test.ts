import { createHub, type EventwireRequest, type Hub, type HubOptions } from "@eventwire/core";
import { ClientScope, SseParser, WsClient, until } from "@eventwire/conformance";
import { serve } from "@hono/node-server";
import { createNodeWebSocket } from "@hono/node-ws";
import { Context, Hono } from "hono";
import { compress } from "hono/compress";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eventwire } from "../src/index.js";

// Hono idioms: sub-app routing, Hono's context in authorize, SSE on Web streams without Node.
const scope = new ClientScope();
afterEach(() => scope.closeAll());

function hub(options: HubOptions = {}): Hub {
  const created = createHub({ authorize: true, ...options });
  scope.defer(() => created.close());
  return created;
}

/** Serves `app` with @hono/node-server and @hono/node-ws on port 0; resolves to `http://127.0.0.1:PORT`. */
async function listen(app: Hono<any>, injectWebSocket: (server: Server) => void): Promise<string> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  injectWebSocket(server);
  scope.defer(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  if (!server.listening) await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const sse = (url: string, headers?: Record<string, string>) => scope.sse(url, headers);

const ws = (url: string) => scope.ws(url);

/** Reads a Web stream's chunks into SSE until `done` says enough. */
async function readSse(reader: ReadableStreamDefaultReader<Uint8Array>, parser: SseParser, done: () => boolean): Promise<void> {
  const decoder = new TextDecoder();
  while (!done()) {
    const { value, done: ended } = await reader.read();
    if (ended) throw new Error("the stream ended early");
    parser.push(decoder.decode(value, { stream: true }));
  }
}

describe("@eventwire/hono routing", () => {
  it("serves both transports wherever the sub-app is mounted, and leaves the app's other routes alone", async () => {
    const served = hub();
    const urls: string[] = [];
    const app = new Hono();
    const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app });
    app.get("/health", (c) => c.text("ok"));
    app.get("/api/other", (c) => c.json({ other: true }));
    app.get("/chat", upgradeWebSocket(() => ({ onMessage: (event, socket) => socket.send(JSON.stringify({ echo: event.data })) })));
    app.route("/api/stream", eventwire(hub({ authorize: (request) => (urls.push(request.url), true) }), { upgradeWebSocket }));
    app.route("/events", eventwire(served, { upgradeWebSocket }));
    const base = await listen(app, injectWebSocket);

    await sse(`${base}/api/stream?session=S`);
    await ws(`${base}/api/stream?events=a.*`);
    expect(urls).toEqual(["/api/stream?session=S", "/api/stream?events=a.*"]);

    const stream = await sse(`${base}/events`);
    const socket = await ws(`${base}/events`);
    const id = await served.publish({ event: "hello" });
    await stream.waitForEvents(1);
    await socket.waitForEvents(1);
    expect([stream.events, socket.events]).toEqual([[{ event: "hello", id }], [{ event: "hello", id }]]);

    expect(await (await fetch(`${base}/health`)).text()).toBe("ok");
    expect(await (await fetch(`${base}/api/other`)).json()).toEqual({ other: true });
    expect((await fetch(`${base}/api/stream/nested`)).status).toBe(404);
    expect((await fetch(`${base}/api/stream`, { method: "POST" })).status).toBe(404);
    const chat = new WsClient(`${base.replace(/^http/, "ws")}/chat`);
    scope.defer(() => chat.close());
    expect(await chat.opened).toBe(true);
    chat.send("hi");
    await chat.waitForMessages(1);
    expect(chat.messages).toEqual([{ echo: "hi" }]);
  });

  it("hands authorize Hono's Context as request.raw, with what earlier middleware set, on both transports", async () => {
    const seen: { user: unknown; isContext: boolean; remoteAddress: string | undefined }[] = [];
    const authorize = (request: EventwireRequest) => {
      const c = request.raw as Context;
      seen.push({ user: c.get("user" as never), isContext: c instanceof Context, remoteAddress: request.remoteAddress });
      return c.get("user" as never) === "ada";
    };
    const app = new Hono<{ Variables: { user: string } }>();
    const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app });
    app.use("/events", async (c, next) => {
      if (c.req.query("token") === "t1") c.set("user", "ada");
      await next();
    });
    app.route("/events", eventwire(hub({ authorize }), { upgradeWebSocket }));
    const base = await listen(app, injectWebSocket);

    expect((await sse(`${base}/events?token=t1`)).status).toBe(200);
    await ws(`${base}/events?token=t1`);
    const refused = await sse(`${base}/events?token=wrong`);
    expect(refused.status).toBe(401);
    const address = expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
    expect(seen).toEqual([
      { user: "ada", isContext: true, remoteAddress: address },
      { user: "ada", isContext: true, remoteAddress: address },
      { user: undefined, isContext: true, remoteAddress: address },
    ]);
  });
});

describe("@eventwire/hono on Web streams", () => {
  it("answers app.request() with a streaming SSE Response carrying the protocol's headers, no Node server involved", async () => {
    const served = hub();
    const app = new Hono().route("/events", eventwire(served));
    const response = await app.request("/events?session=S1");
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers)).toEqual({
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
      "content-encoding": "identity",
    });
    const reader = response.body!.getReader();
    const parser = new SseParser();
    await readSse(reader, parser, () => parser.retries.length === 1);
    expect(served.stats().connections.sse).toBe(1);
    await served.publish({ event: "other", sessionId: "S2" });
    const id = await served.publish({ event: "bot.word", sessionId: "S1", word: "hi" });
    await readSse(reader, parser, () => parser.events.length === 1);
    expect(parser.events).toEqual([{ id, type: undefined, data: JSON.stringify({ event: "bot.word", sessionId: "S1", word: "hi", id }) }]);
    await reader.cancel();
    await until(() => served.stats().connections.sse === 0, "the cancelled stream to close in the hub");
  });

  it("answers refusals, preflights, and WebSocket attempts without upgradeWebSocket, as JSON", async () => {
    const seen: (string | undefined)[] = [];
    const served = hub({ authorize: (request) => (seen.push(request.remoteAddress), false) });
    const app = new Hono().route("/events", eventwire(served, { remoteAddress: (c) => c.req.header("x-forwarded-for") }));
    const refused = await app.request("/events", { headers: { "x-forwarded-for": "10.0.0.7" } });
    expect([refused.status, await refused.json()]).toEqual([401, { error: "unauthenticated", message: "authorization is required to open this stream" }]);
    expect(seen).toEqual(["10.0.0.7"]);
    const preflight = await app.request("/events", { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "GET" } });
    expect([preflight.status, preflight.headers.get("access-control-allow-origin")]).toEqual([204, "*"]);
    const upgrade = await app.request("/events", { headers: { upgrade: "websocket" } });
    expect([upgrade.status, (await upgrade.json()).error]).toEqual([501, "websocket_unavailable"]);
  });

  it("validates its arguments with clear errors", () => {
    // @ts-expect-error: the hub is required
    expect(() => eventwire(undefined)).toThrow("@eventwire/hono: eventwire(hub, options) needs a hub from createHub() as its first argument");
    // @ts-expect-error: not an upgradeWebSocket
    expect(() => eventwire(hub(), { upgradeWebSocket: "yes" })).toThrow("@eventwire/hono: options.upgradeWebSocket must be the runtime's upgradeWebSocket");
  });
});

describe("@eventwire/hono on @hono/node-server", () => {
  it("streams at once, closes the hub's connection when the client goes away, and is not compressed by compress()", async () => {
    const served = hub();
    const app = new Hono();
    const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app });
    app.use(compress());
    app.get("/big", (c) => c.text("x".repeat(10_000)));
    app.route("/events", eventwire(served, { upgradeWebSocket }));
    const base = await listen(app, injectWebSocket);

    const big = await fetch(`${base}/big`, { headers: { "accept-encoding": "gzip" } });
    expect(big.headers.get("content-encoding")).toBe("gzip"); // compress() is really on
    const client = await sse(`${base}/events`, { "accept-encoding": "gzip" });
    expect(client.headers["content-encoding"]).toBe("identity");
    await until(() => client.parser.retries.length === 1, "the retry line, before any event");
    const id = await served.publish({ event: "now" });
    await client.waitForEvents(1);
    expect(client.events).toEqual([{ event: "now", id }]);
    expect(served.stats().connections.sse).toBe(1);
    client.close();
    await until(() => served.stats().connections.sse === 0, "the hub to see the client gone");
  });

  it("takes the hub's message limits on node-ws's server, so ws refuses an oversize message before buffering it", async () => {
    const served = hub({ limits: { maxMessageBytes: 1024 } });
    const app = new Hono();
    const nodeWs = createNodeWebSocket({ app });
    Object.assign(nodeWs.wss.options, served.wsServerOptions);
    app.route("/events", eventwire(served, { upgradeWebSocket: nodeWs.upgradeWebSocket }));
    const base = await listen(app, nodeWs.injectWebSocket);
    const client = await ws(`${base}/events`);
    client.send({ action: "ping", pad: "x".repeat(2000) });
    expect(await client.waitForClose()).toBe(1009);
    expect(client.closeReason).toBe(""); // ws's own refusal; the hub's would say "message larger than 1024 bytes"
  });

  it("ends a slow reader's stream cleanly after its last whole event, without node-server reporting an error", async () => {
    const errors = vi.spyOn(console, "error");
    scope.defer(() => errors.mockRestore());
    const served = hub({ limits: { maxBufferedBytes: 16 * 1024 } });
    const app = new Hono().route("/events", eventwire(served));
    const base = await listen(app, () => {});
    const reader = await sse(`${base}/events`);
    await until(() => reader.parser.retries.length === 1, "the stream to open");
    reader.pause();
    const published: Record<string, unknown>[] = [];
    for (let i = 0; i < 5_000 && served.stats().events.dropped === 0; i++) {
      const event = { event: "bot.word", index: i, pad: "x".repeat(1000) };
      published.push({ ...event, id: await served.publish(event) });
      if (i % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(served.stats().events.dropped).toBe(1);
    reader.resume();
    await reader.waitForEnd();
    expect(reader.events.length).toBeGreaterThan(0);
    expect(reader.events).toEqual(published.slice(0, reader.events.length));
    expect(reader.raw.endsWith("\n\n")).toBe(true);
    expect(errors).not.toHaveBeenCalled();
  });
});

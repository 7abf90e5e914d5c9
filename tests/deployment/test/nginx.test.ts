import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { connect as connectHttp2 } from "node:http2";
import type { AddressInfo } from "node:net";
import { createHub, type Hub, type HubOptions } from "@eventwire/core";
import { until } from "@eventwire/conformance";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startNginx, type Nginx } from "./nginx.js";

// The nginx configuration of docs/deployment.md, run by a real nginx in front of a real hub.

interface Upstream { hub: Hub; port: number; server: Server }
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function upstream(options: HubOptions = {}): Promise<Upstream> {
  const hub = createHub({ authorize: true, ...options });
  const server = createServer((req, res) => hub.sse(req, res));
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  cleanups.push(() => new Promise((done) => server.close(done)), () => hub.close());
  return { hub, server, port: (server.address() as AddressInfo).port };
}

async function nginxFor(target: Upstream, options?: { readTimeout?: string }): Promise<Nginx> {
  const nginx = await startNginx(target.port, options);
  cleanups.push(() => nginx.stop());
  return nginx;
}

/** Reads an SSE body as it arrives: the `data:` JSON of each event, and whether the stream ended. */
function sseReader(chunks: AsyncIterable<Uint8Array | string>) {
  const state = { events: [] as Record<string, unknown>[], raw: "", ended: false };
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of chunks) {
        state.raw += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
        const frames = state.raw.split("\n\n");
        state.events = frames.slice(0, -1).flatMap((frame) => frame.split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6))));
      }
    } catch {
      // a reset counts as an end
    }
    state.ended = true;
  })();
  return state;
}

async function sseThrough(base: string, query = "") {
  const controller = new AbortController();
  cleanups.push(() => controller.abort());
  const response = await fetch(`${base}/events${query}`, { signal: controller.signal });
  return { response, stream: sseReader(response.body! as unknown as AsyncIterable<Uint8Array>) };
}

async function webSocketThrough(url: string, ca?: Buffer) {
  const socket = new WebSocket(url, ca ? { ca } : {});
  cleanups.push(() => socket.terminate());
  const messages: Record<string, unknown>[] = [];
  socket.on("message", (data) => messages.push(JSON.parse(String(data))));
  const close = new Promise<number>((done) => socket.once("close", (code) => done(code)));
  const opened = await new Promise<boolean>((done, fail) => {
    socket.once("open", () => done(true));
    socket.once("close", () => done(false));
    socket.once("error", fail);
  });
  return { socket, messages, close, opened };
}


describe("the nginx configuration of docs/deployment.md, through a real nginx", () => {
  it("streams SSE over HTTP/1.1 with the hub's headers, each event as it is published", async () => {
    const target = await upstream();
    const nginx = await nginxFor(target);
    const { response, stream } = await sseThrough(nginx.plain, "?session=CA_1");
    expect([response.status, response.headers.get("content-type"), response.headers.get("x-accel-buffering")]).toEqual([200, "text/event-stream; charset=utf-8", null]);
    expect(["identity", null]).toContain(response.headers.get("content-encoding"));
    await until(() => target.hub.stats().connections.sse === 1, "the stream to reach the hub");
    const first = await target.hub.publish({ event: "call.started", sessionId: "CA_1" });
    await until(() => stream.events.length === 1, "the first event through nginx, with the stream still open");
    const second = await target.hub.publish({ event: "bot.word", sessionId: "CA_1", word: "hi" });
    await until(() => stream.events.length === 2, "the second event");
    expect(stream.events).toEqual([{ event: "call.started", sessionId: "CA_1", id: first }, { event: "bot.word", sessionId: "CA_1", word: "hi", id: second }]);
    expect(stream.ended).toBe(false);
  });

  it("streams SSE to an HTTP/2 client over TLS (nginx speaks HTTP/1.1 to the hub)", async () => {
    const target = await upstream();
    const nginx = await nginxFor(target);
    const session = connectHttp2(nginx.tls, { ca: nginx.ca });
    cleanups.push(() => session.destroy());
    const request = session.request({ ":path": "/events?session=CA_2", ":method": "GET" });
    const headers = await new Promise<Record<string, unknown>>((done) => request.once("response", done));
    expect([session.alpnProtocol, headers[":status"], headers["content-type"]]).toEqual(["h2", 200, "text/event-stream; charset=utf-8"]);
    const stream = sseReader(request);
    await until(() => target.hub.stats().connections.sse === 1, "the HTTP/2 stream to reach the hub");
    const id = await target.hub.publish({ event: "call.started", sessionId: "CA_2" });
    await until(() => stream.events.length === 1, "the event over HTTP/2");
    expect(stream.events).toEqual([{ event: "call.started", sessionId: "CA_2", id }]);
  });

  it("passes WebSocket upgrades, plain and over TLS, both ways", async () => {
    const target = await upstream();
    const nginx = await nginxFor(target);
    const plain = await webSocketThrough(`${nginx.plain.replace("http", "ws")}/events`);
    const secure = await webSocketThrough(`${nginx.tls.replace("https", "wss")}/events`, nginx.ca);
    expect([plain.opened, secure.opened]).toEqual([true, true]);
    await until(() => target.hub.stats().connections.websocket === 2, "both sockets at the hub");
    const id = await target.hub.publish({ event: "call.started", sessionId: "CA_3" });
    plain.socket.send(JSON.stringify({ action: "ping" }));
    await until(() => plain.messages.length === 2 && secure.messages.length === 1, "the event on both, and the pong");
    expect(plain.messages).toEqual([{ event: "call.started", sessionId: "CA_3", id }, { event: "pong" }]);
    expect(secure.messages).toEqual([{ event: "call.started", sessionId: "CA_3", id }]);
  });

  it("keeps a quiet stream open past proxy_read_timeout while heartbeatMs is shorter, and loses it when it is not", async () => {
    const beating = await upstream({ heartbeatMs: 300 });
    const silent = await upstream({ heartbeatMs: 60_000 });
    const [throughBeating, throughSilent] = [await nginxFor(beating, { readTimeout: "1500ms" }), await nginxFor(silent, { readTimeout: "1500ms" })];
    const kept = await sseThrough(throughBeating.plain);
    const cut = await sseThrough(throughSilent.plain);
    const ws = await webSocketThrough(`${throughBeating.plain.replace("http", "ws")}/events`);
    // Without a heartbeat, nginx ends the quiet stream after its read timeout.
    await until(() => cut.stream.ended, "nginx to end the stream of the hub whose heartbeat is longer than the timeout", 15_000);
    // Twice the timeout later, the stream and socket with a shorter heartbeat are still open and deliver.
    await new Promise((done) => setTimeout(done, 3_000));
    const id = await beating.hub.publish({ event: "late" });
    await until(() => kept.stream.events.length === 1 && ws.messages.length === 1, "the late event on both");
    expect([kept.stream.ended, kept.stream.events, ws.messages]).toEqual([false, [{ event: "late", id }], [{ event: "late", id }]]);
  });

  it("authenticates a browser's WebSocket with a short-lived, single-use ticket in the query", async () => {
    // The guide's ticket recipe, as written there.
    const tickets = new Map<string, { sessions: string[]; expires: number }>();
    const mint = (sessions: string[], ttlMs = 30_000) => {
      const ticket = randomBytes(24).toString("base64url");
      tickets.set(ticket, { sessions, expires: Date.now() + ttlMs });
      return ticket;
    };
    const target = await upstream({
      authorize: (request) => {
        const ticket = new URL(request.url, "http://localhost").searchParams.get("ticket");
        const grant = ticket === null ? undefined : tickets.get(ticket);
        if (ticket !== null) tickets.delete(ticket);
        return grant !== undefined && grant.expires > Date.now() ? { sessions: grant.sessions } : false;
      },
    });
    const nginx = await nginxFor(target);
    const base = `${nginx.tls.replace("https", "wss")}/events`;

    const ticket = mint(["CA_7"]);
    const allowed = await webSocketThrough(`${base}?ticket=${ticket}`, nginx.ca);
    expect(allowed.opened).toBe(true);
    await until(() => target.hub.stats().connections.websocket === 1, "the ticketed socket at the hub");
    await target.hub.publish({ event: "call.started", sessionId: "CA_8" });
    const id = await target.hub.publish({ event: "call.started", sessionId: "CA_7" });
    await until(() => allowed.messages.length === 1, "the ticket's session only");
    expect(allowed.messages).toEqual([{ event: "call.started", sessionId: "CA_7", id }]);

    const reused = await webSocketThrough(`${base}?ticket=${ticket}`, nginx.ca);
    const expired = await webSocketThrough(`${base}?ticket=${mint(["CA_7"], -1)}`, nginx.ca);
    const none = await webSocketThrough(base, nginx.ca);
    expect(await Promise.all([reused.close, expired.close, none.close])).toEqual([4401, 4401, 4401]);
  });
});

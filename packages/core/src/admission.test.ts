import http from "node:http";
import net, { type AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createHub, type Hub } from "./hub.js";
import type { HubOptions } from "./options.js";

/**
 * The one gate (docs/protocol.md#load-and-bad-input): whatever the request (its target, its
 * method, its timing), it is answered, it never throws, and it never leaves a connection counted.
 * Core mounted as its README shows it, on a bare node:http server.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Served {
  hub: Hub;
  server: http.Server;
  port: number;
  authorized: string[];
  errors: unknown[];
}

async function serve(options: HubOptions = {}): Promise<Served> {
  const authorized: string[] = [];
  const errors: unknown[] = [];
  const hub = createHub({
    authorize: (request) => (authorized.push(request.url), true),
    logger: { warn() {}, error: (_message, error) => errors.push(error) },
    ...options,
  });
  const server = http.createServer((req, res) => void hub.sse(req, res));
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
  return { hub, server, port: (server.address() as AddressInfo).port, authorized, errors };
}

/** Writes `head` (request line and headers) byte for byte and resolves to the status of the answer and its body. */
function raw(port: number, head: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no answer to ${JSON.stringify(head)}`))), 10_000);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
      // A refusal ends; an admitted SSE stream stays open, so its status line is enough.
      if (/^HTTP\/1\.1 200 /.test(text) && text.includes("\r\n\r\n")) done();
    });
    socket.on("close", done);
    socket.on("error", () => {});
    socket.write(head, "latin1");
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const wsHead = (target: string, extra = "") =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
const sseHead = (target: string, method = "GET") => `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

/** Targets Node's parser lets through but the WHATWG URL parser rejects: `//` and no valid authority. */
const unparseable = fc
  .tuple(fc.constantFrom("//", "///", "//a@"), fc.stringMatching(/^[\x21-\x7e]{0,12}$/), fc.constantFrom("[", ":99999", "::", "[::1", "%zz", "@:1x", ":x"), fc.stringMatching(/^[\x21-\x7e]{0,8}$/))
  .map(([start, host, broken, rest]) => `${start}${host}${broken}${rest}`)
  .filter((target) => {
    try {
      new URL(target, "http://eventwire.invalid");
      return false;
    } catch {
      return true;
    }
  });

const connections = (hub: Hub) => hub.stats().connections.sse + hub.stats().connections.websocket;

describe("a request target that cannot be parsed (docs/protocol.md#wire-protocol)", () => {
  it("is refused with 400 on both transports, before authorize, and counts as no connection", async () => {
    const served = await serve();
    await fc.assert(
      fc.asyncProperty(unparseable, async (target) => {
        const sse = await raw(served.port, sseHead(target));
        expect(sse.status).toBe(400);
        expect(sse.text).toContain(JSON.stringify({ error: "bad_request", message: "the request target cannot be parsed as a URL" }));
        expect((await raw(served.port, wsHead(target))).status).toBe(400);
      }),
      { numRuns: 40 },
    );
    expect(served.authorized).toEqual([]);
    expect(served.errors).toEqual([]);
    expect(connections(served.hub)).toBe(0);
  });

  it("is refused the same way with credentials and with an async authorize", async () => {
    const served = await serve({ authorize: async () => ({ sessions: ["A"] }) });
    for (const target of ["//a b/", "//[/events", "//:x/events?session=A"]) {
      expect((await raw(served.port, sseHead(target).replace("\r\n\r\n", "\r\nAuthorization: Bearer t\r\n\r\n"))).status).toBe(400);
      expect((await raw(served.port, wsHead(target, "Authorization: Bearer t\r\n"))).status).toBe(400);
    }
    expect(connections(served.hub)).toBe(0);
  });
});

describe("methods other than GET and OPTIONS (docs/protocol.md#wire-protocol)", () => {
  it("get 405 with Allow, never reach authorize, and count as no connection", async () => {
    const served = await serve();
    for (const method of ["HEAD", "POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"]) {
      const answer = await raw(served.port, sseHead("/events", method));
      expect([method, answer.status]).toEqual([method, 405]);
      expect(answer.text.toLowerCase()).toContain("allow: get, options");
    }
    expect(served.authorized).toEqual([]);
    expect(connections(served.hub)).toBe(0);
  });
});

describe("a client that leaves while authorize runs", () => {
  it("leaves no connection on either transport", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    let decided = 0;
    const served = await serve({ authorize: async () => (asked++, await gate, decided++, true) });
    let closedSockets = 0;
    served.server.on("connection", (socket: net.Socket) => socket.on("close", () => closedSockets++));
    const sse = http.get(`http://127.0.0.1:${served.port}/events`, { agent: false });
    sse.on("error", () => {});
    const ws = new WebSocket(`ws://127.0.0.1:${served.port}/events`);
    ws.on("error", () => {});
    await new Promise((resolve) => ws.once("open", resolve));
    await until(() => asked === 2, "both requests to reach authorize");
    sse.destroy();
    ws.terminate();
    await until(() => closedSockets === 2, "the server to see both sockets close");
    release();
    await until(() => decided === 2, "authorize to answer both");
    await new Promise((resolve) => setImmediate(resolve));
    expect(served.hub.stats().connections).toEqual({ sse: 0, websocket: 0 });
  });
});

describe("failures of the hub's own code", () => {
  it("answer 500 instead of throwing: an authorize grant whose sessions getter throws", async () => {
    const grant = Object.defineProperty({}, "sessions", { get: () => { throw Object.create(null); } });
    const served = await serve({ authorize: () => grant as never });
    expect((await raw(served.port, sseHead("/events"))).status).toBe(500);
    expect(connections(served.hub)).toBe(0);
  });
});

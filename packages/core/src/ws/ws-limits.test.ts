import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createHub, type Hub } from "../hub.js";
import type { HubOptions } from "../options.js";

const quiet = { warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(options: HubOptions): Promise<{ hub: Hub; url: string }> {
  const hub = createHub({ authorize: true, logger: quiet, ...options });
  const server = http.createServer();
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
  return { hub, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/events` };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after 5 s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function open(url: string): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(url);
  cleanups.push(() => socket.terminate());
  socket.on("error", () => {});
  const closed = new Promise<number>((resolve) => socket.once("close", resolve));
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve({ socket, closed }));
    socket.once("unexpected-response", () => reject(new Error("refused")));
  });
}

describe("what a WebSocket client sends is bounded (docs/protocol.md#load-and-bad-input)", () => {
  it("closes a client that floods requests without reading the replies once they pass maxBufferedBytes (1013)", async () => {
    // Regression: replies (pong, ack, error) were not counted against the bound, so a client that
    // never read them made the server buffer them without limit.
    const { hub, url } = await serve({ limits: { maxBufferedBytes: 64 * 1024, actionsPerSecond: 1_000_000 } });
    hub.action("echo", (message) => message.payload);
    const { socket, closed } = await open(url);
    (socket as unknown as { _socket: Socket })._socket.pause();
    const request = JSON.stringify({ action: "echo", payload: "e".repeat(4_000) });
    for (let i = 0; i < 20_000 && hub.stats().events.dropped === 0; i++) {
      socket.send(request);
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(hub.stats().events.dropped).toBe(1);
    (socket as unknown as { _socket: Socket })._socket.resume();
    expect(await closed).toBe(1013);
  });

  it("closes a ping sent in 66 fragments with 1008 instead of answering it", async () => {
    // Regression: ws's default of 16,384 fragments let a 16 KB message pin about 2 MB. The message
    // is a valid ping, so a server with a larger bound answers it: a pong, not a timeout.
    const { url } = await serve({});
    const { socket, closed } = await open(url);
    let code: number | undefined;
    void closed.then((closeCode) => (code = closeCode));
    const replies: string[] = [];
    socket.on("message", (data) => replies.push(String(data)));
    socket.send('{"action":"ping",', { fin: false });
    for (let i = 0; i < 64; i++) socket.send("", { fin: false });
    socket.send('"ref":1}', { fin: true });
    await until(() => code !== undefined || replies.length > 0, "a close or a reply for the 66-fragment ping");
    expect({ code, replies }).toEqual({ code: 1008, replies: [] });
  });

  it("holds at most four maxMessageBytes of what a client sends while authorize decides, then closes with 1009", async () => {
    // Regression: up to 256 messages of maxMessageBytes each were kept per pending connection.
    let admit!: () => void;
    const decided = new Promise<void>((resolve) => (admit = resolve));
    const { url } = await serve({ authorize: async () => (await decided, true), limits: { maxMessageBytes: 1_024 } });
    const { socket, closed } = await open(url);
    for (let i = 0; i < 5; i++) socket.send(JSON.stringify({ action: "ping", pad: "x".repeat(900) }));
    expect(await closed).toBe(1009);
    admit();
  });

  it("closes a message over maxMessageBytes sent while authorize decides with 1009, and the process lives", async () => {
    // Regression: the socket had no 'error' listener until admitted, and ws reports an oversized
    // frame as an 'error' event: an unhandled one, which ends the process.
    let admit!: () => void;
    const decided = new Promise<void>((resolve) => (admit = resolve));
    const { url } = await serve({ authorize: async () => (await decided, true), limits: { maxMessageBytes: 1_024 } });
    const { socket, closed } = await open(url);
    socket.send("x".repeat(2_000));
    expect(await closed).toBe(1009);
    admit();
  });

  it("still answers, in order, the few messages a client sends before it is admitted", async () => {
    let admit!: () => void;
    const decided = new Promise<void>((resolve) => (admit = resolve));
    const { url } = await serve({ authorize: async () => (await decided, true) });
    const { socket } = await open(url);
    const replies: unknown[] = [];
    socket.on("message", (data) => replies.push(JSON.parse(data.toString())));
    socket.send('{"action":"ping","ref":1}');
    socket.send('{"action":"ping","ref":2}');
    await new Promise((resolve) => setTimeout(resolve, 20));
    admit();
    while (replies.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(replies).toEqual([{ event: "pong", ref: 1 }, { event: "pong", ref: 2 }]);
  });
});

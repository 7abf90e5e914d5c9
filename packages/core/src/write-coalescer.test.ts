import http from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Frame } from "./frame.js";
import { createHub, type Hub } from "./hub.js";
import type { Admission } from "./connection.js";
import { NodeSseSink } from "./sse/node-sink.js";
import { SseConnection } from "./sse/sse-connection.js";
import { sseResponse } from "./web/sse-response.js";
import { flushAtBytes } from "./write-coalescer.js";

const quiet = { warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Counts the writes node:http makes to one server-side socket (each is one write system call or less). */
function countWrites(socket: Socket): { count: number } {
  const counter = { count: 0 };
  const raw = socket as Socket & { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  const write = raw._write;
  const writev = raw._writev;
  raw._write = function (...args) {
    counter.count++;
    return write.apply(this, args);
  };
  raw._writev = function (...args) {
    counter.count++;
    return writev.apply(this, args);
  };
  return counter;
}

/**
 * A raw HTTP/1.1 client that keeps the response body's chunks as they came (chunked transfer
 * encoding): one chunk per `res.write` the server made.
 */
function rawSseClient(port: number, path: string) {
  const socket = connect({ host: "127.0.0.1", port });
  cleanups.push(() => void socket.destroy());
  let buffer = Buffer.alloc(0);
  let headers = true;
  const chunks: string[] = [];
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  socket.on("data", (data: Buffer) => {
    buffer = Buffer.concat([buffer, data]);
    if (headers) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      buffer = buffer.subarray(end + 4);
      headers = false;
    }
    for (;;) {
      const line = buffer.indexOf("\r\n");
      if (line < 0) return;
      const size = Number.parseInt(buffer.toString("latin1", 0, line), 16);
      if (buffer.length < line + 2 + size + 2) return;
      chunks.push(buffer.toString("utf8", line + 2, line + 2 + size));
      buffer = buffer.subarray(line + 2 + size + 2);
    }
  });
  return { chunks };
}

/** A hub on node:http; the server side of every connection has its writes counted. */
async function served(hub: Hub) {
  const server = http.createServer((req, res) => void hub.sse(req, res));
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  const writes: { count: number }[] = [];
  server.on("connection", (socket) => writes.push(countWrites(socket)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
  return { port: (server.address() as AddressInfo).port, writes };
}

const word = fc.string({ minLength: 1, maxLength: 40 });

describe("writes are coalesced per turn of the event loop (docs/protocol.md#load-and-bad-input)", () => {
  it("events published in one turn reach an SSE stream as one HTTP chunk in one socket write, in order", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    await hub.ready();
    const { port, writes } = await served(hub);
    const client = rawSseClient(port, "/events");
    await until(() => client.chunks.length === 1 && writes.length === 1, "the stream to open");
    expect(client.chunks[0]).toMatch(/^retry: \d+\n\n$/);
    await fc.assert(
      fc.asyncProperty(fc.array(word, { minLength: 1, maxLength: 24 }), async (words) => {
        const before = { chunks: client.chunks.length, writes: writes[0]!.count };
        const ids = words.map((w) => hub.publish({ event: "bot.word", word: w })); // one turn
        await until(() => client.chunks.length > before.chunks, "the burst");
        await new Promise((resolve) => setTimeout(resolve, 5)); // time for a second chunk, if one were coming
        expect(client.chunks.length - before.chunks).toBe(1);
        expect(writes[0]!.count - before.writes).toBe(1);
        const expected = await Promise.all(ids.map(async (id, i) => `id: ${await id}\ndata: ${JSON.stringify({ event: "bot.word", word: words[i], id: await id })}\n\n`));
        expect(client.chunks.at(-1)).toBe(expected.join(""));
      }),
      { numRuns: 25 },
    );
  });

  it("control messages and keepalives keep their place among a turn's events, and the turn is one write", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    await hub.ready();
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
    const opened = new Promise<{ connection: SseConnection; writes: { count: number } }>((resolve) => {
      server.on("request", async (req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.flushHeaders();
        const writes = countWrites(res.socket!);
        const admission = (await hub.admit({ method: "GET", url: req.url!, headers: {} })) as Admission;
        resolve({ connection: new SseConnection(hub, admission, new NodeSseSink(res)), writes });
      });
    });
    const client = rawSseClient((server.address() as AddressInfo).port, "/events");
    const { connection, writes } = await opened;
    await until(() => client.chunks.length === 1, "the retry line");
    const op = fc.oneof(
      word.map((w) => ({ kind: "event" as const, w })),
      word.map((w) => ({ kind: "control" as const, w })),
      fc.constant({ kind: "keepalive" as const }),
    );
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const before = { chunks: client.chunks.length, writes: writes.count };
        let expected = "";
        for (const o of ops) {
          if (o.kind === "event") {
            const frame = new Frame({ id: `e${++seq}`, name: "bot.word", session: undefined, json: JSON.stringify({ event: "bot.word", word: o.w }) });
            connection.send(frame);
            expected += frame.sse.toString();
          } else if (o.kind === "control") {
            const json = JSON.stringify({ event: "error", code: "bad_json", message: o.w });
            connection.sendControl(json);
            expected += `data: ${json}\n\n`;
          } else {
            connection.heartbeat();
            expected += ": keepalive\n\n";
          }
        }
        await until(() => client.chunks.length > before.chunks, "the turn's chunk");
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(client.chunks.slice(before.chunks)).toEqual([expected]);
        expect(writes.count - before.writes).toBe(1);
      }),
      { numRuns: 25 },
    );
  });

  it("counts what waits for the end of the turn as unsent, and writes past 64 KiB at once", async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const sinkOpened = new Promise<NodeSseSink>((resolve) =>
      server.on("request", (_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.flushHeaders();
        resolve(new NodeSseSink(res));
      }),
    );
    const client = rawSseClient((server.address() as AddressInfo).port, "/");
    const sink = await sinkOpened;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 30_000 }), { minLength: 1, maxLength: 12 }), async (sizes) => {
        const before = client.chunks.length;
        // Where the sink must write before the turn ends: whenever what it holds reaches 64 KiB.
        const expected: number[] = [];
        let held = 0;
        for (const [i, size] of sizes.entries()) {
          const unsentBefore = sink.bufferedBytes;
          sink.write(Buffer.alloc(size, 97 + (i % 26)));
          held += size;
          if (held >= flushAtBytes) {
            expected.push(held);
            held = 0;
          } else expect(sink.bufferedBytes).toBe(unsentBefore + size); // nothing written yet, all of it counted
        }
        if (held > 0) expected.push(held);
        const total = sizes.reduce((a, b) => a + b, 0);
        await until(() => client.chunks.slice(before).reduce((n, c) => n + c.length, 0) === total, "every byte");
        expect(client.chunks.slice(before).map((c) => c.length)).toEqual(expected);
        expect(client.chunks.slice(before).join("")).toBe(sizes.map((size, i) => String.fromCharCode(97 + (i % 26)).repeat(size)).join(""));
      }),
      { numRuns: 15 },
    );
  });

  it("does not take a burst larger than maxBufferedBytes to a reader that keeps up for a slow reader", async () => {
    const hub = createHub({ authorize: true, logger: quiet, limits: { maxBufferedBytes: 8_192 } });
    await hub.ready();
    const { port } = await served(hub);
    const client = rawSseClient(port, "/events");
    await until(() => hub.stats().connections.sse === 1 && client.chunks.length === 1, "the stream to open");
    const text = "x".repeat(1_000);
    for (let i = 0; i < 40; i++) void hub.publish({ event: "bot.word", i, text }); // ~42 KB in one turn
    await until(() => client.chunks.join("").split("\n\n").length - 2 === 40, `all 40 events (${JSON.stringify(hub.stats().events)})`);
    expect(hub.stats().events).toMatchObject({ delivered: 40, dropped: 0 });
    expect(hub.stats().connections.sse).toBe(1);
  });

  it("events published in one turn reach a Web-stream SSE response as one chunk, in order", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    await hub.ready();
    cleanups.push(() => hub.close());
    const response = await sseResponse(hub, { method: "GET", url: "/events", headers: {} });
    const reader = response.body!.getReader();
    cleanups.push(() => reader.cancel());
    const read = async () => Buffer.from((await reader.read()).value!).toString();
    expect(await read()).toMatch(/^retry: \d+\n\n$/);
    await fc.assert(
      fc.asyncProperty(fc.array(word, { minLength: 1, maxLength: 24 }), async (words) => {
        const ids = words.map((w) => hub.publish({ event: "bot.word", word: w }));
        const expected = await Promise.all(ids.map(async (id, i) => `id: ${await id}\ndata: ${JSON.stringify({ event: "bot.word", word: words[i], id: await id })}\n\n`));
        expect(await read()).toBe(expected.join(""));
      }),
      { numRuns: 25 },
    );
  });
});

/** A `ws` client that keeps every message it receives, in order. */
async function wsClient(port: number): Promise<{ socket: WebSocket; messages: string[] }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/events`);
  cleanups.push(() => socket.terminate());
  const messages: string[] = [];
  socket.on("message", (data) => messages.push(String(data)));
  await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
  return { socket, messages };
}

describe("WebSocket writes are coalesced per turn of the event loop (docs/protocol.md#load-and-bad-input)", () => {
  it("events published in one turn reach a WebSocket in one socket write, as one frame each, in order", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    await hub.ready();
    const { port, writes } = await served(hub);
    const client = await wsClient(port);
    await until(() => hub.stats().connections.websocket === 1, "the socket to open");
    await fc.assert(
      fc.asyncProperty(fc.array(word, { minLength: 1, maxLength: 24 }), async (words) => {
        const before = { messages: client.messages.length, writes: writes[0]!.count };
        const ids = words.map((w) => hub.publish({ event: "bot.word", word: w })); // one turn
        const expected = await Promise.all(ids.map(async (id, i) => JSON.stringify({ event: "bot.word", word: words[i], id: await id })));
        await until(() => client.messages.length === before.messages + words.length, "the burst");
        expect(client.messages.slice(before.messages)).toEqual(expected);
        expect(writes[0]!.count - before.writes).toBe(1);
      }),
      { numRuns: 25 },
    );
  });

  it("a reply sent in the same turn as events follows them, and the turn costs two writes at most", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    await hub.ready();
    // An action that publishes a burst and answers at once: the events reach the socket first.
    hub.action("burst", (message) => {
      for (const w of message.words as string[]) void hub.publish({ event: "bot.word", word: w });
      return (message.words as string[]).length;
    });
    const { port, writes } = await served(hub);
    const client = await wsClient(port);
    await until(() => hub.stats().connections.websocket === 1, "the socket to open");
    let ref = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(word, { minLength: 1, maxLength: 16 }), async (words) => {
        const before = { messages: client.messages.length, writes: writes[0]!.count };
        client.socket.send(JSON.stringify({ action: "burst", ref: ++ref, words }));
        await until(() => client.messages.length === before.messages + words.length + 1, "the events and the ack");
        const got = client.messages.slice(before.messages).map((m) => JSON.parse(m) as Record<string, unknown>);
        expect(got.map((m) => m.event)).toEqual([...words.map(() => "bot.word"), "ack"]);
        expect(got.slice(0, -1).map((m) => m.word)).toEqual(words);
        expect(got.at(-1)).toEqual({ event: "ack", ref, result: words.length });
        expect(writes[0]!.count - before.writes).toBeLessThanOrEqual(2); // the events, then ws's ack frame
      }),
      { numRuns: 20 },
    );
  });

  it("does not take a burst larger than maxBufferedBytes to a WebSocket that keeps up for a slow reader", async () => {
    const hub = createHub({ authorize: true, logger: quiet, limits: { maxBufferedBytes: 8_192 } });
    await hub.ready();
    const { port } = await served(hub);
    const client = await wsClient(port);
    await until(() => hub.stats().connections.websocket === 1, "the socket to open");
    const text = "x".repeat(1_000);
    for (let i = 0; i < 40; i++) void hub.publish({ event: "bot.word", i, text }); // ~42 KB in one turn
    await until(() => client.messages.length === 40, `all 40 events (${JSON.stringify(hub.stats().events)})`);
    expect(client.messages.map((m) => (JSON.parse(m) as { i: number }).i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(hub.stats().events).toMatchObject({ delivered: 40, dropped: 0 });
  });
});

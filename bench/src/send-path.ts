/**
 * The send path's user-space cost per delivery, without the kernel: every contender's server-side
 * code runs as in the real benchmark, but its sockets are in-memory streams that accept every
 * write at once. The system call a delivery costs on a real socket is left out, so this shows the
 * part a library controls, and because it needs no network and takes the fastest of several rounds,
 * it holds steady on a machine shared with other work, where the end-to-end figures do not.
 */
import { randomBytes } from "node:crypto";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { createChannel, createSession } from "better-sse";
import { Server as SocketIoServer } from "socket.io";
import { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { createHub } from "@eventwire/core";
import { withId } from "./contenders/contender.js";
import { payloadMaker, type PayloadSize } from "./payload.js";

/** A TCP socket stand-in: takes every write at once, counts bytes, never reads. */
class NullSocket extends Duplex {
  bytes = 0;
  writes = 0;
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.bytes += chunk.length;
    this.writes++;
    callback();
  }
  override _writev(chunks: { chunk: Buffer }[], callback: () => void): void {
    for (const { chunk } of chunks) this.bytes += chunk.length;
    this.writes++;
    callback();
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

interface Harness {
  sockets: NullSocket[];
  publish(seq: number): void;
  close?(): unknown;
}

type CreateHub = typeof createHub;
const quiet = { warn() {}, error() {} };

/** A server-side `ws` WebSocket on a NullSocket, as WebSocketServer makes them. */
function serverWebSocket(socket: NullSocket): WebSocket {
  const ws = new (WebSocket as unknown as new (address: null, protocols: undefined, options: object) => WebSocket)(null, undefined, {});
  (ws as unknown as { setSocket(socket: Duplex, head: Buffer, options: object): void }).setSocket(socket, Buffer.alloc(0), { maxPayload: 16_384, skipUTF8Validation: false });
  return ws;
}

const frameHeader = (length: number) => (length < 126 ? Buffer.from([0x81, length]) : Buffer.from([0x81, 126, length >> 8, length & 0xff]));

const harnesses: Record<string, (n: number, size: PayloadSize, hub?: CreateHub) => Promise<Harness>> = {
  async "ws limit"(n, size) {
    const sockets = Array.from({ length: n }, () => new NullSocket());
    const clients = sockets.map(serverWebSocket);
    const make = payloadMaker(size);
    return {
      sockets,
      publish(seq) {
        const json = Buffer.from(withId(JSON.stringify(make(seq)), String(seq)));
        const frame = Buffer.concat([frameHeader(json.length), json]);
        for (const ws of clients) (ws as unknown as { _socket: Duplex })._socket.write(frame);
      },
    };
  },
  async "ws naive"(n, size) {
    const sockets = Array.from({ length: n }, () => new NullSocket());
    const clients = sockets.map(serverWebSocket);
    const make = payloadMaker(size);
    return {
      sockets,
      publish(seq) {
        const json = withId(JSON.stringify(make(seq)), String(seq));
        for (const ws of clients) ws.send(json);
      },
    };
  },
  async "eventwire ws"(n, size, hubFactory = createHub) {
    const sockets = Array.from({ length: n }, () => new NullSocket());
    const hub = hubFactory({ sessionKey: "callId", limits: { maxConnections: n + 1 }, logger: quiet });
    for (const socket of sockets) hub.ws(serverWebSocket(socket) as never);
    while (hub.stats().connections.websocket < n) await new Promise((resolve) => setImmediate(resolve));
    const make = payloadMaker(size);
    return { sockets, publish: (seq) => void hub.publish(make(seq)) };
  },
  async "socket.io"(n, size) {
    const sockets = Array.from({ length: n }, () => new NullSocket());
    // Attached to an http server that never listens: it only makes socket.io create its engine.
    const io = new SocketIoServer(createServer(), { transports: ["websocket"], perMessageDeflate: false, httpCompression: false, serveClient: false, wsEngine: WebSocketServer, pingInterval: 60_000 });
    for (const socket of sockets) {
      const req = new IncomingMessage(socket as never);
      Object.assign(req, {
        method: "GET",
        url: "/socket.io/?EIO=4&transport=websocket",
        headers: { host: "127.0.0.1", upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": randomBytes(16).toString("base64"), "sec-websocket-version": "13" },
      });
      io.engine.handleUpgrade(req, socket as never, Buffer.alloc(0));
      // The client's socket.io CONNECT packet ("40"), as a masked text frame with a zero mask.
      socket.push(Buffer.from([0x81, 0x80 | 2, 0, 0, 0, 0, 0x34, 0x30]));
    }
    while (io.of("/").sockets.size < n) await new Promise((resolve) => setTimeout(resolve, 1));
    const make = payloadMaker(size);
    return { sockets, publish: (seq) => void io.emit("message", make(seq)) };
  },
  async "better-sse"(n, size) {
    const sockets = Array.from({ length: n }, () => new NullSocket());
    const channel = createChannel();
    for (const socket of sockets) {
      const req = new IncomingMessage(socket as never);
      Object.assign(req, { method: "GET", url: "/", headers: { host: "127.0.0.1", accept: "text/event-stream" } });
      const res = new ServerResponse(req);
      res.assignSocket(socket as never);
      channel.register(await createSession(req, res, { keepAlive: null }));
    }
    const make = payloadMaker(size);
    let id = 0;
    return { sockets, publish: (seq) => void channel.broadcast(make(seq), "message", { eventId: String(++id) }) };
  },
  async "http limit"(n, size) {
    const sockets = Array.from({ length: n }, () => new NullSocket());
    const responses = sockets.map((socket) => sseResponse(socket));
    const make = payloadMaker(size);
    return {
      sockets,
      publish(seq) {
        const id = String(seq);
        const frame = Buffer.from(`id: ${id}\ndata: ${withId(JSON.stringify(make(seq)), id)}\n\n`);
        for (const res of responses) res.write(frame);
      },
    };
  },
  async "eventwire sse"(n, size, hubFactory = createHub) {
    const sockets = Array.from({ length: n }, () => new NullSocket());
    const hub = hubFactory({ sessionKey: "callId", limits: { maxConnections: n + 1 }, logger: quiet });
    for (const socket of sockets) {
      const req = new IncomingMessage(socket as never);
      Object.assign(req, { method: "GET", url: "/events", headers: { accept: "text/event-stream" } });
      const res = new ServerResponse(req);
      res.assignSocket(socket as never);
      void hub.sse(req, res);
    }
    while (hub.stats().connections.sse < n) await new Promise((resolve) => setImmediate(resolve));
    const make = payloadMaker(size);
    return { sockets, publish: (seq) => void hub.publish(make(seq)) };
  },
};

function sseResponse(socket: NullSocket): ServerResponse {
  const req = new IncomingMessage(socket as never);
  Object.assign(req, { method: "GET", url: "/", headers: {} });
  const res = new ServerResponse(req);
  res.assignSocket(socket as never);
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" });
  res.flushHeaders();
  return res;
}

export interface SendPathCase {
  contender: string;
  subscribers: number;
  payload: PayloadSize;
  /** Fastest round's CPU per delivery, ns (user + system of this process). */
  nsPerDelivery: number;
  /** Writes that reached the socket stand-ins per delivery (1 = one write per event per socket). */
  writesPerDelivery: number;
}

/**
 * For each subscriber count and payload, times about `deliveries` deliveries per round (one event
 * per turn of the event loop), `rounds` times, for each contender; the fastest round counts (the
 * one least disturbed by other processes). `baseline` adds
 * "eventwire@base" from another build of the core.
 */
export async function sendPathCheck({ subscribers = [1_000, 10_000], deliveries = 200_000, rounds = 9, payloads = [100, 1000] as PayloadSize[], only, baseline }: { subscribers?: number[]; deliveries?: number; rounds?: number; payloads?: PayloadSize[]; only?: string[]; baseline?: CreateHub } = {}): Promise<SendPathCase[]> {
  const cases: SendPathCase[] = [];
  const names = Object.keys(harnesses).filter((name) => !only || only.includes(name));
  const runs: [string, string, CreateHub | undefined][] = names.map((name) => [name, name, undefined]);
  if (baseline) runs.push(["eventwire@base ws", "eventwire ws", baseline], ["eventwire@base sse", "eventwire sse", baseline]);
  for (const n of subscribers) for (const payload of payloads) {
    const events = Math.max(10, Math.round(deliveries / n));
    for (const [label, harnessName, hubFactory] of runs) {
      const harness = await harnesses[harnessName]!(n, payload, hubFactory);
      for (const socket of harness.sockets) socket.writes = 0; // handshakes and headers do not count
      let best = Number.POSITIVE_INFINITY;
      let seq = 0;
      for (let round = 0; round <= rounds; round++) {
        const cpu = process.cpuUsage();
        // One event per turn of the event loop, as the publisher's timer does at N ≥ 1,000 (node:http
        // corks a response's writes until the next tick, so events of one tick share a write).
        for (let i = 0; i < events; i++) {
          harness.publish(seq++);
          await new Promise((resolve) => setImmediate(resolve));
        }
        const used = process.cpuUsage(cpu);
        const ns = ((used.user + used.system) * 1e3) / (events * n);
        if (round > 0) best = Math.min(best, ns); // round 0 warms the JIT
      }
      const writes = harness.sockets.reduce((sum, s) => sum + s.writes, 0);
      cases.push({ contender: label, subscribers: n, payload, nsPerDelivery: best, writesPerDelivery: writes / (seq * n) });
      await harness.close?.();
    }
  }
  return cases;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const baselinePath = process.env.BENCH_BASELINE_CORE;
  const baseline = baselinePath ? ((await import(baselinePath)) as { createHub: CreateHub }).createHub : undefined;
  for (const c of await sendPathCheck({ baseline })) console.log(`${c.contender.padEnd(20)} N=${String(c.subscribers).padEnd(6)} ${String(c.payload).padStart(4)} B  ${c.nsPerDelivery.toFixed(0).padStart(6)} ns/delivery  ${c.writesPerDelivery.toFixed(2)} writes/delivery`);
  process.exit(0);
}

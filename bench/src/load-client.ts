import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import type { ClientKind } from "./contenders/contender.js";
import { Histogram } from "./histogram.js";
import { nowUs, readStamp, stampMarker } from "./payload.js";

/**
 * The load generator's subscribers: minimal WebSocket, socket.io (Engine.IO v4 over WebSocket) and
 * SSE clients on raw TCP sockets. They do the least a real client must (parse frames, answer
 * pings) and read only the stamp of each message, so they cost less than any server they measure.
 * Every message is counted per sequence number, so a summary says exactly which events reached
 * every subscriber, and latency is the receive time minus the publish stamp.
 */
export interface ConnectOptions {
  kind: ClientKind;
  port: number;
  path: string;
  n: number;
  /** Handshakes in flight at once. Default 256. */
  concurrency?: number;
  /** Spread connections over this many loopback source addresses (127.0.0.1..). Default 4. */
  sourceAddresses?: number;
  /** Spread connections over these ports (several server processes), round robin; default `[port]`. */
  ports?: number[];
  /**
   * Scope connection i to session `call-((offset + i) % count)` (query `session=`); the first
   * `unscoped` connections are not scoped. Default: none is scoped.
   */
  sessions?: { count: number; offset: number; unscoped?: number };
}

export interface StepOptions {
  /** First sequence number of the step; messages before it are strays. */
  fromSeq: number;
  /** How many sequence numbers the step may publish. */
  capacity: number;
  /** Latency is recorded for sequence numbers from here (after the warm-up). */
  latencyFromSeq: number;
}

export interface StepSummary {
  /** Messages with a sequence number in [w0, w1). */
  delivered: number;
  /** Fewest and most subscribers any one event of [w0, w1) reached. */
  minPerEvent: number;
  maxPerEvent: number;
  latencyUs: { p50: number; p99: number; p999: number; max: number; samples: number };
  /** A subscriber saw a sequence number not greater than its last: a duplicate or a reorder. */
  dupes: number;
  /** Messages outside the step (late ones from an earlier step). */
  strays: number;
  closedByServer: number;
  open: number;
  /** CPU the load generator used since the step began, µs, and the wall time, ms. */
  cpuUs: number;
  wallMs: number;
}

const CRLF2 = Buffer.from("\r\n\r\n");
const LF2 = Buffer.from("\n\n");

abstract class Subscriber {
  lastSeq = -1;
  pending: Buffer | null = null;
  headersDone = false;
  closing = false;
  readonly socket: Socket;

  constructor(
    protected readonly client: LoadClient,
    protected readonly options: ConnectOptions,
    localAddress: string,
    protected readonly ready: (error?: Error) => void,
    protected readonly port: number = options.port,
    protected readonly path: string = options.path,
  ) {
    this.socket = connect({ host: "127.0.0.1", port: this.port, localAddress, noDelay: true });
    this.socket.on("connect", () => this.socket.write(this.request()));
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", (error) => this.ready(error));
    this.socket.on("close", () => {
      if (!this.closing) this.client.closedByServer++;
      this.client.open--;
      this.ready(new Error("closed before it was ready"));
    });
  }

  protected abstract request(): string;
  protected abstract onBody(buf: Buffer, pos: number, now: number): void;

  onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let pos = 0;
    if (!this.headersDone) {
      const end = buf.indexOf(CRLF2);
      if (end < 0) {
        this.pending = buf;
        return;
      }
      const status = buf.toString("latin1", 9, 12);
      if (status !== this.expectedStatus) {
        this.ready(new Error(`HTTP ${status}`));
        this.close();
        return;
      }
      this.headersDone = true;
      pos = end + 4;
      this.onHeaders();
    }
    this.onBody(buf, pos, nowUs());
  }

  protected get expectedStatus(): string {
    return "101";
  }

  protected onHeaders(): void {
    this.ready();
  }

  close(): void {
    this.closing = true;
    this.socket.destroy();
  }
}

class WsSubscriber extends Subscriber {
  protected request(): string {
    const key = randomBytes(16).toString("base64");
    return `GET ${this.path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  }

  protected override onHeaders(): void {
    if (this.options.kind === "ws") this.ready();
  }

  protected onBody(buf: Buffer, pos: number, now: number): void {
    const length = buf.length;
    while (length - pos >= 2) {
      const b1 = buf[pos + 1]!;
      let size = b1 & 0x7f;
      let header = 2;
      if (size === 126) {
        if (length - pos < 4) break;
        size = buf.readUInt16BE(pos + 2);
        header = 4;
      } else if (size === 127) {
        if (length - pos < 10) break;
        size = buf.readUInt32BE(pos + 2) * 2 ** 32 + buf.readUInt32BE(pos + 6);
        header = 10;
      }
      if (b1 & 0x80) header += 4;
      if (length - pos < header + size) break;
      const start = pos + header;
      const end = start + size;
      const opcode = buf[pos]! & 0x0f;
      if (opcode <= 2) this.onMessage(buf, start, end, now);
      else if (opcode === 9) this.send(0xa, buf.subarray(start, end));
      else if (opcode === 8) {
        this.client.noteClose(size >= 2 ? buf.readUInt16BE(start) : 1005);
        this.socket.end();
      }
      pos = end;
    }
    if (pos < length) this.pending = buf.subarray(pos);
  }

  onMessage(buf: Buffer, start: number, end: number, now: number): void {
    if (this.options.kind === "socketio") {
      // Engine.IO v4: 0 open, 2 ping, 4 message (socket.io: 40 connect, 42 event).
      const type = buf[start];
      if (type === 0x32) return this.send(0x1, Buffer.from("3"));
      if (type === 0x30) return this.send(0x1, Buffer.from("40"));
      if (type === 0x34 && buf[start + 1] === 0x30) return this.ready();
    }
    const at = buf.indexOf(stampMarker, start);
    if (at >= 0 && at < end) this.client.onStamp(this, buf, at, end, now);
  }

  /** A masked client frame (control and Engine.IO messages only: small). */
  send(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    const mask = randomBytes(4);
    const frame = Buffer.alloc(6 + payload.length);
    frame[0] = 0x80 | opcode;
    frame[1] = 0x80 | payload.length;
    mask.copy(frame, 2);
    for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i & 3]!;
    this.socket.write(frame);
  }
}

class SseSubscriber extends Subscriber {
  protected request(): string {
    return `GET ${this.path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nAccept: text/event-stream\r\n\r\n`;
  }

  protected override get expectedStatus(): string {
    return "200";
  }

  protected onBody(buf: Buffer, pos: number, now: number): void {
    // Every write of every contender is whole events, so chunked framing lies between events: an
    // event ends at a blank line, and the bytes after the last one wait for the next read.
    const last = buf.lastIndexOf(LF2);
    if (last < pos) {
      if (pos < buf.length) this.pending = buf.subarray(pos);
      return;
    }
    let at = buf.indexOf(stampMarker, pos);
    while (at >= 0 && at < last) {
      this.client.onStamp(this, buf, at, last, now);
      at = buf.indexOf(stampMarker, at + 4);
    }
    if (last + 2 < buf.length) this.pending = buf.subarray(last + 2);
  }
}

export class LoadClient {
  readonly subscribers: Subscriber[] = [];
  readonly latency = new Histogram();
  closedByServer = 0;
  open = 0;
  dupes = 0;
  strays = 0;
  readonly closeCodes = new Map<number, number>();
  #counts = new Uint32Array(0);
  #base = 0;
  #latencyFrom = Number.POSITIVE_INFINITY;
  #cpu = process.cpuUsage();
  #wall = performance.now();
  readonly #stamp = { seq: 0, t: 0 };

  /** Opens `n` subscribers; resolves once each is ready to receive (or failed). */
  async connect(options: ConnectOptions): Promise<{ connected: number; failed: number; ms: number; errors: string[] }> {
    const started = performance.now();
    const concurrency = options.concurrency ?? 256;
    const sources = options.sourceAddresses ?? 4;
    const errors = new Map<string, number>();
    let connected = 0;
    let failed = 0;
    let next = 0;
    const one = () =>
      new Promise<void>((resolve) => {
        const i = next++;
        let settled = false;
        const timer = setTimeout(() => done(new Error("handshake timeout")), 30_000);
        const done = (error?: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (error) {
            failed++;
            errors.set(error.message, (errors.get(error.message) ?? 0) + 1);
            subscriber.close();
          } else connected++;
          resolve();
        };
        const Kind = options.kind === "sse" ? SseSubscriber : WsSubscriber;
        const ports = options.ports ?? [options.port];
        const scoped = options.sessions && i >= (options.sessions.unscoped ?? 0);
        const path = scoped ? `${options.path}?session=call-${(options.sessions!.offset + i) % options.sessions!.count}` : options.path;
        const subscriber: Subscriber = new Kind(this, options, `127.0.0.${(i % sources) + 1}`, done, ports[i % ports.length], path);
        this.open++;
        this.subscribers.push(subscriber);
      });
    const lanes = Array.from({ length: Math.min(concurrency, options.n) }, async () => {
      while (next < options.n) await one();
    });
    await Promise.all(lanes);
    return { connected, failed, ms: Math.round(performance.now() - started), errors: [...errors].map(([m, c]) => `${c}× ${m}`) };
  }

  /** Starts counting a step: sequence numbers [fromSeq, fromSeq + capacity). */
  begin(step: StepOptions): void {
    this.#base = step.fromSeq;
    this.#counts = new Uint32Array(step.capacity);
    this.#latencyFrom = step.latencyFromSeq;
    this.latency.reset();
    this.dupes = 0;
    this.strays = 0;
    this.#cpu = process.cpuUsage();
    this.#wall = performance.now();
  }

  /** The hot path: one message's stamp at `at` in `buf`. */
  onStamp(subscriber: Subscriber, buf: Buffer, at: number, end: number, now: number): void {
    const stamp = this.#stamp;
    if (!readStamp(buf, at, end, stamp)) return;
    const seq = stamp.seq;
    if (seq <= subscriber.lastSeq) this.dupes++;
    else subscriber.lastSeq = seq;
    const i = seq - this.#base;
    if (i >= 0 && i < this.#counts.length) this.#counts[i]!++;
    else this.strays++;
    if (seq >= this.#latencyFrom) this.latency.record(now - stamp.t);
  }

  noteClose(code: number): void {
    this.closeCodes.set(code, (this.closeCodes.get(code) ?? 0) + 1);
  }

  /** What reached the subscribers of events [w0, w1) of the current step. */
  summary(w0: number, w1: number): StepSummary {
    let delivered = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (let seq = w0; seq < w1; seq++) {
      const c = this.#counts[seq - this.#base] ?? 0;
      delivered += c;
      if (c < min) min = c;
      if (c > max) max = c;
    }
    const cpu = process.cpuUsage(this.#cpu);
    return {
      delivered,
      minPerEvent: w1 > w0 ? min : 0,
      maxPerEvent: max,
      latencyUs: {
        p50: this.latency.quantile(0.5),
        p99: this.latency.quantile(0.99),
        p999: this.latency.quantile(0.999),
        max: this.latency.max,
        samples: this.latency.total,
      },
      dupes: this.dupes,
      strays: this.strays,
      closedByServer: this.closedByServer,
      open: this.open,
      cpuUs: cpu.user + cpu.system,
      wallMs: performance.now() - this.#wall,
    };
  }

  close(): void {
    for (const subscriber of this.subscribers) subscriber.close();
    this.subscribers.length = 0;
  }
}

import type { Frame } from "../frame.js";
import { CoalescingWriter } from "../write-coalescer.js";
import { OPEN, type SocketLike } from "./socket-like.js";
import type { WebSocketInbox, WebSocketPeer } from "./websocket-peer.js";

const textFrame = { binary: false, compress: false } as const;
const ignoreError = () => {};

/**
 * The parts of a `ws` WebSocket that let a frame built once go straight to its TCP socket, as
 * engine.io does: only without negotiated extensions (no compression) and while ws's sender is
 * idle (nothing queued, not reading a Blob), so frames keep their order.
 */
interface WsInternals {
  readonly extensions?: unknown;
  readonly _socket?: { write(chunk: Uint8Array): boolean };
  readonly _sender?: WsSender;
}

interface WsSender {
  readonly _queue?: readonly unknown[];
  /** 0 when idle (ws ≥ 8.17); absent before. */
  readonly _state?: number;
}

type IdleCheckedSender = Required<Pick<WsSender, "_queue">> & WsSender;

/**
 * A `ws` socket (also those of `@fastify/websocket` and `@hono/node-ws`) as a {@link WebSocketPeer}:
 * protocol pings, a drain event, and each event's frame built once and written to the TCP socket
 * of every receiver (docs/protocol.md#load-and-bad-input) instead of `ws` framing it again for each.
 * The frames of one turn of the event loop go to the TCP socket in one write (writes are
 * coalesced); a control message, a ping or a close first writes what the turn holds, so order holds.
 */
export class WsSocketPeer extends CoalescingWriter implements WebSocketPeer {
  /** ws's TCP socket and sender, when frames can be written to the socket directly. */
  readonly #tcp: { write(chunk: Uint8Array): boolean } | undefined;
  readonly #sender: IdleCheckedSender | undefined;

  constructor(private readonly socket: SocketLike) {
    super();
    const ws = socket as SocketLike & WsInternals;
    if (ws.extensions === "" && ws._socket && ws._sender && Array.isArray(ws._sender._queue)) {
      this.#tcp = ws._socket;
      this.#sender = ws._sender as IdleCheckedSender;
    }
    // A socket without protocol pings leaves liveness to its runtime (see WebSocketPeer.ping).
    if (typeof socket.ping !== "function") Object.defineProperty(this, "ping", { value: undefined });
  }

  get open(): boolean {
    return this.socket.readyState === OPEN;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount + this.pendingBytes;
  }

  send(text: string): void {
    this.flush();
    this.socket.send(text, textFrame);
  }

  sendEvent(frame: Frame): void {
    if (this.#tcp !== undefined) this.queue(frame.wsFrame);
    else this.socket.send(frame.ws, textFrame);
  }

  protected writeOut(frames: Buffer | readonly Buffer[], bytes: number): void {
    // Once closing (either side), nothing more may follow the close frame.
    if (this.socket.readyState !== OPEN) return;
    const sender = this.#sender!;
    if (sender._queue.length === 0 && !sender._state) {
      this.#tcp!.write(Buffer.isBuffer(frames) ? frames : Buffer.concat(frames, bytes));
      return;
    }
    // ws is busy sending something of its own: the frames wait behind it in ws's queue, in order.
    for (const frame of Buffer.isBuffer(frames) ? [frames] : frames) this.socket.send(textPayload(frame), textFrame);
  }

  close(code: number, reason: string): void {
    this.flush();
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.discard();
    if (this.socket.terminate) this.socket.terminate();
    else this.socket.close(1001, "peer did not answer");
  }

  ping(): void {
    this.flush();
    this.socket.ping!();
  }

  drained(): Promise<void> {
    this.flush();
    const raw = this.socket._socket;
    if (!raw || !raw.writableNeedDrain || this.socket.readyState !== OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        raw.off("drain", done);
        raw.off("close", done);
        resolve();
      };
      raw.once("drain", done);
      raw.once("close", done);
    });
  }

  /**
   * Pushes what the socket reports into `inbox`. From the start: `ws` reports a bad frame (too
   * large, bad UTF-8) as an 'error' event, which would throw and take the process down if it came
   * while `authorize` runs; a 'close' always follows it.
   */
  bind(inbox: WebSocketInbox): void {
    const socket = this.socket;
    socket.on("error", ignoreError);
    socket.on("message", (data, isBinary) => inbox.receive(data as Uint8Array | Uint8Array[] | ArrayBuffer, isBinary));
    socket.on("pong", () => inbox.pong());
    socket.on("close", () => inbox.closed());
    if (socket.readyState !== OPEN) inbox.closed();
  }
}

/** The payload of an unmasked frame built by `Frame.wsFrame` (RFC 6455, 5.2: a 2, 4 or 10 byte header). */
function textPayload(frame: Buffer): Buffer {
  const length = frame[1]! & 0x7f;
  return frame.subarray(length < 126 ? 2 : length === 126 ? 4 : 10);
}

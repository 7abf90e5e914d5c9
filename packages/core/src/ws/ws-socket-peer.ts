import type { Frame } from "../frame.js";
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
 */
export class WsSocketPeer implements WebSocketPeer {
  /** ws's TCP socket and sender, when frames can be written to the socket directly. */
  readonly #tcp: { write(chunk: Uint8Array): boolean } | undefined;
  readonly #sender: IdleCheckedSender | undefined;

  constructor(private readonly socket: SocketLike) {
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
    return this.socket.bufferedAmount;
  }

  send(text: string): void {
    this.socket.send(text, textFrame);
  }

  sendEvent(frame: Frame): void {
    const sender = this.#sender;
    if (sender !== undefined && sender._queue.length === 0 && !sender._state) this.#tcp!.write(frame.wsFrame);
    else this.socket.send(frame.ws, textFrame);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    if (this.socket.terminate) this.socket.terminate();
    else this.socket.close(1001, "peer did not answer");
  }

  ping(): void {
    this.socket.ping!();
  }

  drained(): Promise<void> {
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

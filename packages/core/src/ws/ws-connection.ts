import { ActionError, RateLimiter, type ActionContext, type ActionHandler, type ActionMessage } from "../actions.js";
import { Connection, type Admission, type ConnectionHost } from "../connection.js";
import { controlJson, type Frame } from "../frame.js";
import { escapeLineSeparators } from "../publish-validation.js";
import { OPEN, type SocketLike } from "./socket-like.js";

export interface WsHost extends ConnectionHost {
  readonly actions: ReadonlyMap<string, ActionHandler>;
}

export type RawMessage = Buffer | ArrayBuffer | Buffer[];

const textFrame = { binary: false, compress: false } as const;
const ignoreError = () => {};

/**
 * The parts of a `ws` WebSocket that let a frame built once go straight to its TCP socket, as
 * engine.io does: only without negotiated extensions (no compression) and while ws's sender is
 * idle (nothing queued, not reading a Blob), so frames keep their order.
 */
interface WsInternals {
  readonly extensions?: unknown;
  readonly _socket?: { write(chunk: Buffer): boolean };
  readonly _sender?: WsSender;
}

interface WsSender {
  readonly _queue?: readonly unknown[];
  /** 0 when idle (ws ≥ 8.17); absent before. */
  readonly _state?: number;
}
/**
 * How long a closing handshake may take before the socket is dropped: at shutdown, briefly, so
 * close() resolves; a slow reader gets time to read what it was sent and the 1013 behind it.
 */
const closeGraceMs = { shutdown: 2_000, slow: 30_000 } as const;

/**
 * One WebSocket: events as JSON text frames, client actions with their replies and limits
 * (docs/protocol.md#wire-protocol and docs/protocol.md#load-and-bad-input), protocol pings that drop a peer gone silent.
 */
export class WsConnection extends Connection {
  readonly transport = "websocket";
  #alive = true;
  // Made on the first client message / action: most connections only receive, and an idle
  // connection's memory is what 10,000 of them cost.
  #limiter: RateLimiter | undefined;
  #context: ActionContext | undefined;
  /** ws's TCP socket and sender, when frames can be written to the socket directly. */
  readonly #tcp: { write(chunk: Buffer): boolean } | undefined;
  readonly #sender: Required<Pick<WsSender, "_queue">> & WsSender | undefined;

  constructor(
    protected override readonly host: WsHost,
    admission: Admission,
    private readonly socket: SocketLike,
  ) {
    super(host, admission);
    const ws = socket as SocketLike & WsInternals;
    if (ws.extensions === "" && ws._socket && ws._sender && Array.isArray(ws._sender._queue)) {
      this.#tcp = ws._socket;
      this.#sender = ws._sender as Required<Pick<WsSender, "_queue">> & WsSender;
    }
    socket.on("pong", () => (this.#alive = true));
    socket.on("close", () => this.closed_());
    socket.on("error", ignoreError); // a 'close' always follows
    if (socket.readyState !== OPEN) this.closed_();
  }

  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  drained(): Promise<void> {
    const raw = this.socket._socket;
    if (this.closed || !raw || !raw.writableNeedDrain) return Promise.resolve();
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

  flush(): void {
    // Each frame is written as it is sent.
  }

  protected writeFrame(frame: Frame): void {
    if (this.socket.readyState !== OPEN) return;
    // One write of the shared frame instead of ws framing it again for every socket (docs/protocol.md#load-and-bad-input).
    const sender = this.#sender;
    if (sender !== undefined && sender._queue.length === 0 && !sender._state) this.#tcp!.write(frame.wsFrame);
    else this.socket.send(frame.ws, textFrame);
  }

  sendControl(json: string): void {
    if (this.socket.readyState !== OPEN) return;
    this.socket.send(escapeLineSeparators(json), textFrame);
    // Replies count against the same bound as events (docs/protocol.md#load-and-bad-input): a client that floods requests and
    // never reads the answers would otherwise make the server buffer them without limit.
    if (this.overBufferLimit()) {
      this.host.counters.dropped++;
      this.close("slow");
    }
  }

  heartbeat(): void {
    if (this.closed || !this.socket.ping) return;
    if (!this.#alive) {
      this.#drop();
      return;
    }
    this.#alive = false;
    this.socket.ping();
  }

  protected end(reason: "slow" | "shutdown"): void {
    if (reason === "slow") this.socket.close(1013, "slow reader: reconnect and resume from your last id");
    else this.socket.close(1001, "server shutting down: reconnect and resume from your last id");
    setTimeout(() => this.#drop(), closeGraceMs[reason]).unref();
  }

  /** Handles one client message (docs/protocol.md#wire-protocol "Client to server" and the limits of docs/protocol.md#load-and-bad-input). */
  receive(data: RawMessage, isBinary: boolean): void {
    // Once closing (a slow reader, a flood, shutdown), what else the client sends is not answered.
    if (this.closing) return;
    this.#alive = true;
    const size = Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;
    if (size > this.host.options.limits.maxMessageBytes) {
      this.socket.close(1009, `message larger than ${this.host.options.limits.maxMessageBytes} bytes`);
      return;
    }
    if (isBinary) return this.#error(undefined, "bad_json", "binary frames are not accepted; send a JSON text frame");
    if (!(this.#limiter ??= new RateLimiter(this.host.options.limits.actionsPerSecond)).take()) {
      return this.#error(undefined, "rate_limited", `more than ${this.host.options.limits.actionsPerSecond} actions per second`);
    }
    let message: unknown;
    try {
      message = JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString());
    } catch {
      return this.#error(undefined, "bad_json", "the message is not valid JSON");
    }
    if (typeof message !== "object" || message === null || Array.isArray(message) || typeof (message as ActionMessage).action !== "string") {
      return this.#error(undefined, "bad_json", 'expected an object like {"action":"ping"}');
    }
    this.#run(message as ActionMessage);
  }

  #run(message: ActionMessage): void {
    const ref = typeof message.ref === "string" || typeof message.ref === "number" ? message.ref : undefined;
    if (message.action === "ping") {
      this.sendControl(controlJson(ref === undefined ? { event: "pong" } : { event: "pong", ref }));
      return;
    }
    const handler = this.host.actions.get(message.action);
    if (!handler) return this.#error(ref, "unknown_action", `no action named ${JSON.stringify(message.action)}`);
    let result: unknown;
    try {
      result = handler(message, (this.#context ??= this.#makeContext()));
    } catch (error) {
      return this.#failed(ref, error);
    }
    // A handler that answers at once is acked at once, so replies keep the order of requests.
    if (isThenable(result)) result.then((value) => this.#ack(ref, value), (error: unknown) => this.#failed(ref, error));
    else this.#ack(ref, result);
  }

  /** The `ctx` action handlers get: this connection (docs/protocol.md#events-and-publishing). */
  #makeContext(): ActionContext {
    const connection = this;
    return {
      connectionId: this.id,
      sessionId: this.sessionId,
      principal: this.principal,
      send(event) {
        if (typeof event !== "object" || event === null || typeof event.event !== "string") {
          throw new TypeError('ctx.send: the event must be an object with a string "event" field');
        }
        connection.sendControl(JSON.stringify(event));
      },
      onClose: (listener) => this.onClose(listener),
    };
  }

  #ack(ref: string | number | undefined, result: unknown): void {
    let reply: string;
    try {
      reply = controlJson({ event: "ack", ref, result: result ?? null });
    } catch (error) {
      return this.#failed(ref, error);
    }
    this.sendControl(reply);
  }

  #failed(ref: string | number | undefined, error: unknown): void {
    if (error instanceof ActionError) this.#error(ref, error.code, error.message);
    else this.#error(ref, "action_failed", error instanceof Error ? error.message : String(error));
  }

  #error(ref: string | number | undefined, code: string, message: string): void {
    this.sendControl(controlJson({ event: "error", ref, code, message }));
  }

  #drop(): void {
    if (this.closed) return;
    if (this.socket.terminate) this.socket.terminate();
    else this.socket.close(1001, "peer did not answer");
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
}

import { ActionError, RateLimiter, type ActionContext, type ActionHandler, type ActionMessage } from "../actions.js";
import { Connection, type Admission, type CloseReason, type ConnectionHost } from "../connection.js";
import { controlJson, type Frame } from "../frame.js";
import { escapeLineSeparators } from "../publish-validation.js";
import { thrownMessage } from "../thrown-message.js";
import { unrefTimer } from "../timers.js";
import { messageBytes, messageText, type MessageData } from "./message-data.js";
import type { WebSocketPeer } from "./websocket-peer.js";

export interface WsHost extends ConnectionHost {
  readonly actions: ReadonlyMap<string, ActionHandler>;
}

/**
 * How long a closing handshake may take before the socket is dropped: at shutdown, briefly, so
 * close() resolves; a slow reader gets time to read what it was sent and the 1013 behind it.
 */
const closeGraceMs: Record<CloseReason, number> = { shutdown: 2_000, rotate: 2_000, slow: 30_000, expired: 2_000, revoked: 2_000 };
/** How often a socket without a drain event is looked at while a replay waits for it to drain. */
const drainPollMs = 10;

/** The close code and reason of each way the hub ends a WebSocket (docs/protocol.md#refusal-and-close-codes). */
const closeFrames: Record<CloseReason, [code: number, reason: string]> = {
  slow: [1013, "slow reader: reconnect and resume from your last id"],
  shutdown: [1001, "server shutting down: reconnect and resume from your last id"],
  rotate: [1012, "stream_rotated: the stream reached maxStreamMs; reconnect now and resume from your last id"],
  expired: [4419, "expired: refresh credentials and reconnect"],
  revoked: [4403, "revoked: access to this stream was withdrawn"],
};

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

  constructor(
    protected override readonly host: WsHost,
    admission: Admission,
    private readonly peer: WebSocketPeer,
  ) {
    super(host, admission);
  }

  get bufferedBytes(): number {
    return this.peer.bufferedAmount;
  }

  drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.peer.drained) return this.peer.drained();
    // A runtime whose socket has no drain event: look again until the network took what was buffered.
    return new Promise((resolve) => {
      const check = () => (this.closed || this.peer.bufferedAmount === 0 ? resolve() : setTimeout(check, drainPollMs));
      check();
    });
  }

  flush(): void {
    this.peer.flush?.();
  }

  protected writeFrame(frame: Frame): void {
    const peer = this.peer;
    if (!peer.open) return;
    if (peer.sendEvent) peer.sendEvent(frame);
    else peer.send(frame.json);
  }

  sendControl(json: string): void {
    if (!this.peer.open) return;
    this.peer.send(escapeLineSeparators(json));
    // Replies count against the same bound as events (docs/protocol.md#load-and-bad-input): a client that floods requests and
    // never reads the answers would otherwise make the server buffer them without limit.
    if (this.overBufferLimit()) {
      this.host.counters.dropped++;
      this.close("slow");
    }
  }

  heartbeat(): void {
    if (this.closed || !this.peer.ping) return;
    if (!this.#alive) {
      this.#drop();
      return;
    }
    this.#alive = false;
    this.peer.ping();
  }

  /** The peer answered a protocol ping. */
  pong(): void {
    this.#alive = true;
  }

  /** The socket is gone, whoever closed it. */
  socketClosed(): void {
    this.closed_();
  }

  protected end(reason: CloseReason): void {
    this.peer.close(...closeFrames[reason]);
    unrefTimer(setTimeout(() => this.#drop(), closeGraceMs[reason]));
  }

  /** Handles one client message (docs/protocol.md#wire-protocol "Client to server" and the limits of docs/protocol.md#load-and-bad-input). */
  receive(data: MessageData, isBinary: boolean): void {
    // Once closing (a slow reader, a flood, shutdown), what else the client sends is not answered.
    if (this.closing) return;
    this.#alive = true;
    if (messageBytes(data) > this.host.options.limits.maxMessageBytes) {
      this.peer.close(1009, `message larger than ${this.host.options.limits.maxMessageBytes} bytes`);
      return;
    }
    const text = isBinary ? undefined : messageText(data);
    if (text === undefined) return this.#error(undefined, "bad_json", "binary frames are not accepted; send a JSON text frame");
    if (!(this.#limiter ??= new RateLimiter(this.host.options.limits.actionsPerSecond)).take()) {
      return this.#error(undefined, "rate_limited", `more than ${this.host.options.limits.actionsPerSecond} actions per second`);
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
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
    let then: unknown;
    try {
      result = handler(message, (this.#context ??= this.#makeContext()));
      // Read once, inside the guard: a `then` getter may throw too.
      then = typeof result === "object" && result !== null ? (result as { then?: unknown }).then : undefined;
    } catch (error) {
      return this.#failed(ref, error);
    }
    // A handler that answers at once is acked at once, so replies keep the order of requests.
    if (typeof then !== "function") return this.#ack(ref, result);
    // Adopted as a Promise adopts a thenable: a `then` that throws rejects instead of escaping.
    new Promise((resolve, reject) => (then as PromiseLike<unknown>["then"]).call(result, resolve, reject)).then(
      (value) => this.#ack(ref, value),
      (error: unknown) => this.#failed(ref, error),
    );
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
      return this.#error(ref, "action_failed", `the action's result cannot be encoded as JSON: ${thrownMessage(error)}`);
    }
    this.sendControl(reply);
  }

  #failed(ref: string | number | undefined, error: unknown): void {
    let code = "action_failed";
    try {
      if (error instanceof ActionError && typeof error.code === "string") code = error.code;
    } catch {
      // A Proxy whose prototype trap throws: no ActionError, then.
    }
    this.#error(ref, code, thrownMessage(error));
  }

  #error(ref: string | number | undefined, code: string, message: string): void {
    this.sendControl(controlJson({ event: "error", ref, code, message }));
  }

  #drop(): void {
    if (this.closed) return;
    if (this.peer.terminate) this.peer.terminate();
    else this.peer.close(1001, "peer did not answer");
  }
}


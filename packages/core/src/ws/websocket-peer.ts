/**
 * A WebSocket as the hub drives it, on any runtime (docs/protocol.md#runtimes-and-platforms):
 * whatever can send text, close with a code and tell what it still buffers. What the socket reports
 * (a message, a pong, its close) is pushed in through the {@link WebSocketInbox} that
 * `hub.openWebSocket(peer)` returns. `ws` sockets get a binding of their own (`hub.ws(socket)`);
 * `@eventwire/hono` maps Hono's `WSContext` onto this interface on Node, Bun and Deno.
 */
export interface WebSocketPeer {
  /** Whether the socket is open (a WebSocket's `readyState === 1`): nothing is sent otherwise. */
  readonly open: boolean;
  /** Bytes sent but not yet taken by the network: the bound of `limits.maxBufferedBytes` applies to it. */
  readonly bufferedAmount: number;
  /** Sends one text message (an event's JSON, or a control message). */
  send(text: string): void;
  /**
   * Sends one event: `frame.json` is its text. Optional: a binding that can write bytes built once
   * for every receiver (the `ws` binding) does so here; without it the hub calls `send(frame.json)`.
   */
  sendEvent?(frame: EventFrame): void;
  /**
   * Writes now what the binding holds for the end of the turn (a binding that coalesces the events
   * of one turn into one write, as the `ws` binding does). Optional.
   */
  flush?(): void;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake; default: `close(1001, ...)`. */
  terminate?(): void;
  /**
   * Sends a protocol ping every `heartbeatMs`; the binding reports the answer with `inbox.pong()`,
   * and a peer that has not answered (nor sent anything) by the next ping is dropped. Without it, the
   * runtime's own keepalive (an idle timeout) is what drops a silent peer.
   */
  ping?(): void;
  /** Resolves once what is buffered has been flushed, or the socket closed; default: polls `bufferedAmount`. */
  drained?(): Promise<void>;
}

/** One event as a peer sends it. */
export interface EventFrame {
  /** The event's id on the stream. */
  readonly id: string;
  /** What the client receives: the published JSON with its `id`. */
  readonly json: string;
}

/** What a binding pushes into the hub as its socket reports it. */
export interface WebSocketInbox {
  /** One message from the client: text (`isBinary` false) or binary. */
  receive(data: string | ArrayBufferLike | ArrayBufferView | Blob | readonly Uint8Array[], isBinary: boolean): void;
  /** The peer answered a protocol ping. */
  pong(): void;
  /** The socket is gone (closed by either side, or failed). Call it once; later calls do nothing. */
  closed(): void;
}

/**
 * The part of a `ws` WebSocket that `hub.ws(socket)` uses. `ws` sockets (also those of
 * `@fastify/websocket` and `@hono/node-ws`) fit as they are; another runtime's socket is served
 * through `hub.openWebSocket(peer)` (see WebSocketPeer).
 */
export interface SocketLike {
  readonly readyState: number;
  /** Bytes queued but not yet sent. */
  readonly bufferedAmount: number;
  send(data: string | Buffer, options?: { binary?: boolean; compress?: boolean }): void;
  close(code?: number, reason?: string): void;
  /** Drops the connection without a closing handshake. */
  terminate?(): void;
  /** Sends a protocol ping; the peer answers with a `pong` event. */
  ping?(): void;
  on(event: "message", listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: "close", listener: (code: number, reason: Buffer) => void): unknown;
  on(event: "pong", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off?(event: string, listener: (...args: never[]) => void): unknown;
  /** `ws` keeps its net.Socket here; used to wait for a drain rather than poll. */
  readonly _socket?: { writableNeedDrain?: boolean; once(event: "drain" | "close", listener: () => void): unknown; off(event: string, listener: () => void): unknown };
}

export const OPEN = 1;

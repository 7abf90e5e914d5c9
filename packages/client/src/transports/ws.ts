import { EventStreamError, parseErrorBody } from "../event-stream-error.js";
import { reconnectNowCloseCodes, terminalCloseCodes } from "../refusals.js";
import { resolveHeaders, type HeadersOption, type TransportConnection, type TransportHandlers } from "./transport.js";

/**
 * The part of a WebSocket the client uses. The browser's `WebSocket` and the `ws` package's both
 * fit (handler parameters are loose because their event classes differ).
 */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType?: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}

/**
 * A WebSocket class: `globalThis.WebSocket` in browsers, `WebSocket` from the `ws` package in
 * Node 20. Implementations that take a third `options` argument (as `ws` does) receive
 * `{ headers }` when the `headers` option is set.
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: any) => WebSocketLike;

export interface WebSocketConnectParams {
  url: string;
  headers: HeadersOption | undefined;
  WebSocket: WebSocketConstructor;
}

const OPEN = 1;

export function openWebSocketConnection(
  params: WebSocketConnectParams,
  handlers: TransportHandlers,
): TransportConnection {
  let socket: WebSocketLike | undefined;
  let over = false;

  const drop: TransportHandlers["onDrop"] = (reason) => {
    if (over) return;
    over = true;
    detach();
    handlers.onDrop(reason);
  };

  // Keep a no-op error handler after detaching: the `ws` package throws an 'error' event that
  // has no listener (for example when a socket is closed before its handshake finished).
  const detach = (): void => {
    if (socket === undefined) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => {};
  };

  const connect = (headers: Record<string, string> | undefined): void => {
    try {
      socket = headers === undefined ? new params.WebSocket(params.url) : new params.WebSocket(params.url, undefined, { headers });
    } catch (error) {
      drop({ kind: "retry", error: failure(error) });
      return;
    }
    socket.binaryType = "arraybuffer";
    socket.onopen = () => handlers.onOpen();
    socket.onmessage = (event: { data: unknown }) => {
      const text = decodeFrame(event.data);
      if (text !== undefined) handlers.onMessage(text);
    };
    socket.onerror = () => {
      // A close event follows with the code; nothing to do here.
    };
    socket.onclose = (event: { code: number; reason: string }) => {
      const terminal = terminalCloseCodes.get(event.code);
      const body = parseErrorBody(event.reason ?? "");
      const error = new EventStreamError(
        body?.code || terminal || "network_error",
        body?.message || `the WebSocket closed with code ${event.code}${event.reason ? `: ${event.reason}` : ""}`,
        { closeCode: event.code },
      );
      drop(terminal === undefined ? { kind: "retry", error, immediate: reconnectNowCloseCodes.has(event.code) } : { kind: "refused", error });
    };
  };

  if (params.headers === undefined) {
    connect(undefined);
  } else {
    resolveHeaders(params.headers).then(
      (headers) => {
        if (!over) connect(headers);
      },
      (error: unknown) => drop({ kind: "retry", error: failure(error) }),
    );
  }

  return {
    send(text) {
      if (over || socket === undefined || socket.readyState !== OPEN) return false;
      socket.send(text);
      return true;
    },
    close() {
      if (over) return;
      over = true;
      detach();
      try {
        socket?.close(1000);
      } catch {
        // Already closing.
      }
    },
  };
}

const decoder = new TextDecoder();

function decodeFrame(data: unknown): string | undefined {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return decoder.decode(data);
  if (ArrayBuffer.isView(data)) return decoder.decode(data);
  return undefined;
}

function failure(error: unknown): EventStreamError {
  const detail = error instanceof Error ? error.message : String(error);
  return new EventStreamError("network_error", `the WebSocket could not be opened: ${detail}`, { cause: error });
}

import type { WebSocketPeer } from "@eventwire/core";
import type { WSContext } from "hono/ws";

/**
 * The runtime's own socket behind a Hono `WSContext` (`ws.raw`): a Web `WebSocket` on Deno
 * (`bufferedAmount`), a `ServerWebSocket` on Bun (`getBufferedAmount()`).
 */
interface RuntimeSocket {
  readonly readyState?: number;
  readonly bufferedAmount?: number;
  getBufferedAmount?(): number;
}

/**
 * A Hono `WSContext` as the hub's WebSocket peer (docs/protocol.md#runtimes-and-platforms), for
 * runtimes whose socket is not a `ws` one (`hono/bun`, `hono/deno`). It sends no protocol pings:
 * neither runtime reports a pong to Hono's events, so a silent peer is dropped by the runtime's own
 * keepalive (Deno's `idleTimeout`, which the adapter sets from `heartbeatMs`; Bun's `idleTimeout`).
 */
export class WSContextPeer implements WebSocketPeer {
  constructor(private readonly context: WSContext<RuntimeSocket | undefined>) {}

  get open(): boolean {
    // Bun's WSContext copies readyState when it is made; the socket's own is current.
    return (this.context.raw?.readyState ?? this.context.readyState) === 1;
  }

  get bufferedAmount(): number {
    const raw = this.context.raw;
    if (raw === undefined) return 0;
    return typeof raw.getBufferedAmount === "function" ? raw.getBufferedAmount() : (raw.bufferedAmount ?? 0);
  }

  send(text: string): void {
    this.context.send(text);
  }

  close(code: number, reason: string): void {
    this.context.close(code, reason);
  }
}

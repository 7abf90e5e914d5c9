import type { WsConnection } from "./ws-connection.js";
import { messageBytes, type MessageData } from "./message-data.js";
import type { WebSocketInbox } from "./websocket-peer.js";

/** Most messages a client may send while its connection is still being authorized. */
const maxEarlyMessages = 256;
/** Most bytes of such messages, in units of `maxMessageBytes`: kept while `authorize` runs, so bounded. */
const maxEarlyMessageBytes = 4;

/**
 * What a socket reports, delivered to its connection: kept (bounded) while `authorize` runs, then
 * handed over in order once the connection opens (docs/protocol.md#wire-protocol, docs/protocol.md#load-and-bad-input).
 */
export class ConnectionInbox implements WebSocketInbox {
  #connection: WsConnection | undefined;
  #early: [MessageData, boolean][] | undefined = [];
  #earlyBytes = 0;
  /** Set once the socket is gone. */
  gone = false;

  constructor(
    private readonly maxMessageBytes: number,
    /** Closes the socket when too much arrives before the stream opened. */
    private readonly refuse: (code: number, reason: string) => void,
  ) {}

  receive(data: MessageData, isBinary: boolean): void {
    if (this.#connection) return this.#connection.receive(data, isBinary);
    const early = this.#early;
    if (!early) return;
    if (early.length === maxEarlyMessages) return this.#overflow(1008, "too many messages before the stream opened");
    this.#earlyBytes += messageBytes(data);
    if (this.#earlyBytes > maxEarlyMessageBytes * this.maxMessageBytes) return this.#overflow(1009, "too much sent before the stream opened");
    early.push([data, isBinary]);
  }

  pong(): void {
    this.#connection?.pong();
  }

  closed(): void {
    if (this.gone) return;
    this.gone = true;
    this.#early = undefined;
    this.#connection?.socketClosed();
  }

  /** The stream opened: what arrived meanwhile goes to it, in order, then everything else. */
  open(connection: WsConnection): void {
    this.#connection = connection;
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const [data, isBinary] of early) connection.receive(data, isBinary);
    if (this.gone) connection.socketClosed();
  }

  #overflow(code: number, reason: string): void {
    this.#early = undefined;
    this.refuse(code, reason);
  }
}

import WebSocket from "ws";
import { until } from "./wait.js";

export interface WsClientOptions {
  headers?: Record<string, string>;
  origin?: string;
  /** Answer protocol pings (default true); false plays a dead peer. */
  autoPong?: boolean;
}

/** A `ws` client that records every message and how the socket ended. */
export class WsClient {
  readonly socket: WebSocket;
  readonly messages: Record<string, unknown>[] = [];
  readonly texts: string[] = [];
  /** Set when the handshake was refused with an HTTP status. */
  refusedStatus: number | undefined;
  closeCode: number | undefined;
  closeReason = "";
  pings = 0;
  readonly opened: Promise<boolean>;

  constructor(url: string, options: WsClientOptions = {}) {
    this.socket = new WebSocket(url, { headers: options.headers, origin: options.origin, autoPong: options.autoPong ?? true, perMessageDeflate: false });
    this.socket.on("message", (data, isBinary) => {
      const text = data.toString();
      this.texts.push(isBinary ? `<binary ${text}>` : text);
      this.messages.push(JSON.parse(text) as Record<string, unknown>);
    });
    this.socket.on("ping", () => this.pings++);
    this.socket.on("close", (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    this.socket.on("error", () => {});
    this.opened = new Promise((resolve) => {
      this.socket.once("open", () => resolve(true));
      this.socket.once("unexpected-response", (_request, response) => {
        this.refusedStatus = response.statusCode;
        this.closeCode = -1;
        response.resume();
        resolve(false);
      });
      this.socket.once("close", () => resolve(false));
    });
  }

  /** Opens and waits until the server has admitted the connection (a ping answered). */
  static async connect(url: string, options?: WsClientOptions): Promise<WsClient> {
    const client = new WsClient(url, options);
    if (!(await client.opened)) throw new Error(`WebSocket to ${url} was refused (status ${client.refusedStatus}, close ${client.closeCode} ${client.closeReason})`);
    await client.ping();
    return client;
  }

  /** Sends `{"action":"ping","ref":...}` and waits for its pong. */
  async ping(): Promise<void> {
    const ref = `ready-${Math.random()}`;
    this.send({ action: "ping", ref });
    await until(() => this.messages.some((m) => m.event === "pong" && m.ref === ref) || this.closeCode !== undefined, "a pong");
    if (this.closeCode !== undefined) throw new Error(`closed with ${this.closeCode} ${this.closeReason} before answering a ping`);
    const index = this.messages.findIndex((m) => m.event === "pong" && m.ref === ref);
    this.messages.splice(index, 1);
    this.texts.splice(index, 1);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** Messages that are stream events (they carry an id), in order. */
  get events(): Record<string, unknown>[] {
    return this.messages.filter((m) => typeof m.id === "string");
  }

  waitForEvents(count: number, timeoutMs?: number): Promise<void> {
    return until(() => this.events.length >= count, `${count} WebSocket events (have ${this.events.length})`, timeoutMs);
  }

  waitForMessages(count: number, timeoutMs?: number): Promise<void> {
    return until(() => this.messages.length >= count, `${count} WebSocket messages (have ${this.messages.length})`, timeoutMs);
  }

  waitForClose(timeoutMs?: number): Promise<number> {
    return until(() => this.closeCode !== undefined, "the WebSocket to close", timeoutMs).then(() => this.closeCode!);
  }

  close(): void {
    this.socket.terminate();
  }
}

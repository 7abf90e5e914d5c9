import { SseClient } from "./sse-client.js";
import { WsClient, type WsClientOptions } from "./ws-client.js";

/**
 * Opens test clients and whatever else a test starts, and closes all of it afterwards, in the
 * reverse of the order it was opened: `afterEach(() => scope.closeAll())`.
 */
export class ClientScope {
  readonly #closers: (() => Promise<unknown> | unknown)[] = [];

  async sse(url: string, headers?: Record<string, string>): Promise<SseClient> {
    const client = await SseClient.open(url, headers);
    this.defer(() => client.close());
    return client;
  }

  /** A WebSocket the server has admitted (it answered a ping). An http URL is taken as ws. */
  async ws(url: string, options?: WsClientOptions): Promise<WsClient> {
    const client = await WsClient.connect(url.replace(/^http/, "ws"), options);
    this.defer(() => client.close());
    return client;
  }

  /** A WebSocket that may be refused: the test inspects how it ended. */
  wsRaw(url: string, options?: WsClientOptions): WsClient {
    const client = new WsClient(url.replace(/^http/, "ws"), options);
    this.defer(() => client.close());
    return client;
  }

  defer(closer: () => Promise<unknown> | unknown): void {
    this.#closers.push(closer);
  }

  async closeAll(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close();
  }
}

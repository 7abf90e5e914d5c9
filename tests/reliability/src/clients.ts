import http, { type IncomingHttpHeaders } from "node:http";
import { SseParser, until, WsClient, type StreamClient, type WsClientOptions } from "@eventwire/conformance";
import WebSocket from "ws";

export type Transport = "sse" | "websocket";
export type Message = Record<string, unknown>;

/**
 * An SSE reader for load tests. Like the conformance suite's `SseClient` it parses the raw bytes
 * with the suite's independent `SseParser`, but it parses each event's JSON once, as it arrives,
 * so that waiting on thousands of events costs nothing per poll.
 */
export class LeanSseClient implements StreamClient {
  readonly parser = new SseParser();
  readonly messages: Message[] = [];
  readonly events: Message[] = [];
  ended = false;
  status = 0;
  headers: IncomingHttpHeaders = {};
  body = "";
  readonly #request: http.ClientRequest;

  private constructor(request: http.ClientRequest) {
    this.#request = request;
  }

  /** Opens a stream and resolves once the response headers arrive, whatever the status. */
  static open(url: string, headers: Record<string, string> = {}): Promise<LeanSseClient> {
    return new Promise((resolve, reject) => {
      const request = http.get(url, { headers: { accept: "text/event-stream", ...headers }, agent: false });
      const client = new LeanSseClient(request);
      request.on("error", (error) => {
        client.ended = true;
        if (client.status === 0) reject(error);
      });
      request.on("response", (response) => {
        client.status = response.statusCode ?? 0;
        client.headers = response.headers;
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (client.status !== 200) {
            client.body += chunk;
            return;
          }
          const before = client.parser.events.length;
          client.parser.push(chunk);
          for (let i = before; i < client.parser.events.length; i++) {
            const json = JSON.parse(client.parser.events[i]!.data) as Message;
            client.messages.push(json);
            if (typeof json.id === "string") client.events.push(json);
          }
        });
        const end = () => (client.ended = true);
        response.on("end", end);
        response.on("close", end);
        response.on("error", end);
        resolve(client);
      });
    });
  }

  /** Opens a stream that must be admitted (200). */
  static async admitted(url: string, headers?: Record<string, string>): Promise<LeanSseClient> {
    const client = await LeanSseClient.open(url, headers);
    if (client.status !== 200) {
      await client.waitForEnd();
      throw new Error(`SSE ${url} answered ${client.status}: ${client.body}`);
    }
    return client;
  }

  get lastEventId(): string | undefined {
    return this.events.at(-1)?.id as string | undefined;
  }

  waitForEvents(count: number, timeoutMs = 10_000): Promise<void> {
    return until(() => this.events.length >= count, `${count} SSE events (have ${this.events.length})`, timeoutMs);
  }

  waitForMessages(count: number, timeoutMs = 10_000): Promise<void> {
    return until(() => this.messages.length >= count, `${count} SSE messages (have ${this.messages.length})`, timeoutMs);
  }

  waitForEnd(timeoutMs = 10_000): Promise<void> {
    return until(() => this.ended, "the SSE response to end", timeoutMs);
  }

  /** Stops reading, so the server's buffer for this stream fills: a slow reader. */
  pause(): void {
    this.#request.socket?.pause();
  }

  resume(): void {
    this.#request.socket?.resume();
  }

  close(): void {
    this.#request.destroy();
  }
}

/** The URL of one transport: `http:` for SSE, `ws:` for WebSocket, with a query. */
export function streamUrl(base: string, transport: Transport, query = ""): string {
  const url = transport === "websocket" ? base.replace(/^http/, "ws") : base;
  return query ? `${url}${url.includes("?") ? "&" : "?"}${query}` : url;
}

/** A stream client on either transport, admitted; the conformance suite's `WsClient` for WebSocket. */
export async function connect(base: string, transport: Transport, query = "", headers?: Record<string, string>, wsOptions: WsClientOptions = {}): Promise<StreamClient & { close(): void }> {
  if (transport === "websocket") return WsClient.connect(streamUrl(base, transport, query), { ...wsOptions, headers });
  return LeanSseClient.admitted(streamUrl(base, transport, query), headers);
}

/** Closes every client, whatever state it is in. */
export function closeAll(clients: Iterable<{ close(): void }>): void {
  for (const client of clients) client.close();
}

/**
 * A WebSocket reader that keeps only the ids of the events it receives (and counts control
 * messages), for tests that measure the memory the server holds: a recording client would
 * double it.
 */
export async function idWatcher(url: string): Promise<{ ids: string[]; close(): void }> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const ids: string[] = [];
  let ponged = false;
  socket.on("message", (data) => {
    const message = JSON.parse(data.toString()) as { id?: string; event?: string };
    if (typeof message.id === "string") ids.push(message.id);
    else if (message.event === "pong") ponged = true;
  });
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("close", () => reject(new Error(`the watcher on ${url} closed before opening`)));
  });
  // Admitted once a ping is answered.
  socket.send('{"action":"ping"}');
  await until(() => ponged, "the watcher's pong");
  return { ids, close: () => socket.terminate() };
}

import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { SseParser, type ParsedSseEvent } from "./sse-parser.js";
import { until } from "./wait.js";

/** An event as the suite sees it: the SSE fields and the parsed JSON of `data`. */
export interface ReceivedSseEvent extends ParsedSseEvent {
  json: Record<string, unknown>;
}

/**
 * A raw HTTP SSE reader: every header and byte is visible, reading can be paused to play a slow
 * reader, and the JSON of each event is checked to be an object.
 */
export class SseClient {
  readonly parser = new SseParser();
  raw = "";
  ended = false;
  readonly response: IncomingMessage;
  /** The whole body of a refused request (non-200), once it has ended. */
  body = "";
  readonly #request: http.ClientRequest;

  private constructor(request: http.ClientRequest, response: IncomingMessage) {
    this.#request = request;
    this.response = response;
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      this.raw += chunk;
      if (response.statusCode === 200) this.parser.push(chunk);
      else this.body += chunk;
    });
    const end = () => (this.ended = true);
    response.on("end", end);
    response.on("close", end);
    response.on("error", end);
  }

  /** Opens a stream; resolves once the response headers arrive, whatever the status. */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const request = http.get(url, { headers: { accept: "text/event-stream", ...headers }, agent: false });
      request.on("response", (response) => resolve(new SseClient(request, response)));
      request.on("error", reject);
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.response.headers;
  }

  /** Every SSE event with its fields, and its data parsed. */
  get sseEvents(): ReceivedSseEvent[] {
    return this.parser.events.map((event) => ({ ...event, json: JSON.parse(event.data) as Record<string, unknown> }));
  }

  /** The JSON of every message, control messages (`gap`) included, in order. */
  get messages(): Record<string, unknown>[] {
    return this.sseEvents.map((event) => event.json);
  }

  /** Messages that are stream events (they carry an id), in order. */
  get events(): Record<string, unknown>[] {
    return this.messages.filter((m) => typeof m.id === "string");
  }

  waitForEvents(count: number, timeoutMs?: number): Promise<void> {
    return until(() => this.events.length >= count, `${count} SSE events (have ${this.events.length})`, timeoutMs);
  }

  waitForMessages(count: number, timeoutMs?: number): Promise<void> {
    return until(() => this.parser.events.length >= count, `${count} SSE messages (have ${this.parser.events.length})`, timeoutMs);
  }

  waitForEnd(timeoutMs?: number): Promise<void> {
    return until(() => this.ended, "the SSE response to end", timeoutMs);
  }

  /** Stops reading from the socket, so the server's buffer fills: a slow reader. */
  pause(): void {
    this.response.pause();
    this.response.socket.pause();
  }

  resume(): void {
    this.response.socket.resume();
    this.response.resume();
  }

  close(): void {
    this.#request.destroy();
  }
}

import { createParser } from "eventsource-parser";
import { EventStreamError, parseErrorBody } from "../event-stream-error.js";
import { parseRetryAfter, reconnectNowComment, terminalStatuses } from "../refusals.js";
import { resolveHeaders, type HeadersOption, type TransportConnection, type TransportHandlers } from "./transport.js";

/**
 * The SSE transport: `fetch` and `eventsource-parser` rather than `EventSource`, so request
 * headers (an `Authorization` token, fresh on every attempt) work and the client, not the
 * browser, decides when and how to reconnect.
 */
export interface SseConnectParams {
  url: string;
  lastEventId: string | undefined;
  headers: HeadersOption | undefined;
  fetch: typeof fetch;
  credentials: RequestCredentials | undefined;
}

/** Bounds the parser's buffer: one event larger than this (16 MiB) is a broken stream. */
const maxBufferSize = 16 * 1024 * 1024;

export function openSseConnection(params: SseConnectParams, handlers: TransportHandlers): TransportConnection {
  const abort = new AbortController();
  let over = false;

  const drop: TransportHandlers["onDrop"] = (reason) => {
    if (over) return;
    over = true;
    abort.abort();
    handlers.onDrop(reason);
  };

  void (async () => {
    let response: Response;
    try {
      const headers: Record<string, string> = { accept: "text/event-stream", ...(await resolveHeaders(params.headers)) };
      if (params.lastEventId !== undefined) headers["last-event-id"] = params.lastEventId;
      if (over) return;
      const init: RequestInit = { headers, signal: abort.signal, cache: "no-store" };
      if (params.credentials !== undefined) init.credentials = params.credentials;
      response = await params.fetch(params.url, init);
    } catch (error) {
      drop({ kind: "retry", error: failure(error, "the SSE request failed") });
      return;
    }
    if (over) {
      void response.body?.cancel().catch(() => {});
      return;
    }

    const status = response.status;
    if (status !== 200) {
      const terminal = terminalStatuses.get(status);
      const isJson = /json/i.test(response.headers.get("content-type") ?? "");
      const body = isJson ? parseErrorBody(await response.text().catch(() => "")) : undefined;
      if (!isJson) void response.body?.cancel().catch(() => {});
      if (over) return;
      const error = new EventStreamError(
        body?.code || terminal || `http_${status}`,
        body?.message || `the server answered ${status} ${response.statusText}`.trim(),
        { status },
      );
      if (terminal === undefined) {
        drop({ kind: "retry", error, retryAfterMs: parseRetryAfter(response.headers.get("retry-after")) });
      } else {
        drop({ kind: status === 204 ? "finished" : "refused", error });
      }
      return;
    }
    const contentType = response.headers.get("content-type") ?? "";
    if (!contentType.toLowerCase().startsWith("text/event-stream") || response.body === null) {
      void response.body?.cancel().catch(() => {});
      drop({
        kind: "refused",
        error: new EventStreamError(
          "bad_content_type",
          `expected text/event-stream, got ${contentType || "no content type"}: is the url an Eventwire endpoint?`,
          { status },
        ),
      });
      return;
    }

    handlers.onOpen();
    /** The server said it is ending the stream on purpose (`: reconnect`): come back at once. */
    let reconnectNow = false;
    const parser = createParser({
      maxBufferSize,
      onEvent: (message) => {
        if (!over) handlers.onMessage(message.data, message.id);
      },
      onRetry: (ms) => {
        if (!over) handlers.onRetry(ms);
      },
      onComment: (comment) => {
        if (comment.trim() === reconnectNowComment) reconnectNow = true;
        if (!over) handlers.onActivity();
      },
      onError: (error) => {
        if (error.type === "max-buffer-size-exceeded") {
          drop({ kind: "retry", error: new EventStreamError("network_error", error.message, { cause: error }) });
        }
      },
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (over) return;
        if (done) break;
        handlers.onActivity();
        parser.feed(decoder.decode(value, { stream: true }));
      }
      drop(
        reconnectNow
          ? { kind: "retry", immediate: true, error: new EventStreamError("stream_rotated", "the server rotated the stream: reconnecting now") }
          : { kind: "retry", error: new EventStreamError("network_error", "the server ended the stream") },
      );
    } catch (error) {
      drop({ kind: "retry", error: failure(error, "the SSE stream failed") });
    } finally {
      if (over) void reader.cancel().catch(() => {});
    }
  })();

  return {
    close() {
      if (over) return;
      over = true;
      abort.abort();
    },
  };
}

function failure(error: unknown, what: string): EventStreamError {
  const detail = error instanceof Error ? error.message : String(error);
  return new EventStreamError("network_error", `${what}: ${detail}`, { cause: error });
}

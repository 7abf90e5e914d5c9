import { EventSource } from "eventsource";
import { fetchEventSource } from "./fetch-event-source-on-node.js";
import { partysocketResuming } from "./ws-reconnect.js";

/** A client we did not write, opened on a URL; it reconnects by its own rules. */
export interface ThirdPartyClient {
  /** The JSON of every message it delivered, in order. */
  readonly received: Record<string, unknown>[];
  close(): void;
}

export interface ThirdPartyClientKind {
  name: string;
  transport: "sse" | "websocket";
  /**
   * Opens a client on `url`. `retryOnEnd`: keep reconnecting when the server ends the stream
   * cleanly too, not only when it drops (the `eventsource` package always does, as browsers do).
   */
  open(url: string, options?: { retryOnEnd?: boolean }): ThirdPartyClient;
}

/** The `eventsource` package: the WHATWG EventSource on Node, with a browser's reconnect rules. */
export const eventsourcePackage: ThirdPartyClientKind = {
  name: "eventsource (npm)",
  transport: "sse",
  open(url) {
    const received: Record<string, unknown>[] = [];
    const source = new EventSource(url);
    source.onmessage = (message) => received.push(JSON.parse(message.data) as Record<string, unknown>);
    return { received, close: () => source.close() };
  },
};

/**
 * `@microsoft/fetch-event-source` with its defaults: a dropped stream is an error, retried after the
 * server's `retry:` hint; a stream the server ends is done, unless `onclose` throws (the library's
 * own recipe for retrying then, used with `retryOnEnd`).
 * On Node it needs `openWhenHidden: true` and two browser globals (see fetch-event-source-on-node.ts).
 * It delivers a message for every blank line, so the `retry:` block and each `: keepalive` comment
 * reach `onmessage` with empty data: those are not events, and are skipped.
 */
export const microsoftFetchEventSource: ThirdPartyClientKind = {
  name: "@microsoft/fetch-event-source",
  transport: "sse",
  open(url, options = {}) {
    const received: Record<string, unknown>[] = [];
    const controller = new AbortController();
    const done = fetchEventSource(url, {
      openWhenHidden: true,
      signal: controller.signal,
      onmessage: (message) => {
        if (message.data !== "") received.push(JSON.parse(message.data) as Record<string, unknown>);
      },
      ...(options.retryOnEnd
        ? {
            onclose: () => {
              throw new Error("the server ended the stream: retry");
            },
          }
        : {}),
    });
    void done.catch(() => {});
    return { received, close: () => controller.abort() };
  },
};

/** `partysocket`'s reconnecting WebSocket, by the client README's recipe (see ws-reconnect.ts). */
export const partysocket: ThirdPartyClientKind = {
  name: "partysocket",
  transport: "websocket",
  open: (url) => partysocketResuming(url),
};

export const thirdPartySseClients: readonly ThirdPartyClientKind[] = [eventsourcePackage, microsoftFetchEventSource];
export const thirdPartyClients: readonly ThirdPartyClientKind[] = [...thirdPartySseClients, partysocket];

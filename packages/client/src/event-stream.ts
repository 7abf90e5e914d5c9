import type { EventStreamError } from "./event-stream-error.js";
import type {
  ActionMessage,
  AnyEvent,
  EventFilter,
  EventFor,
  ListenName,
} from "./event-types.js";
import type { ReconnectOptions } from "./reconnect-policy.js";
import type { StreamStatus } from "./stream-source.js";
import type { HeadersOption } from "./transports/transport.js";
import type { WebSocketConstructor } from "./transports/ws.js";

/** Options of {@link createEventStream} (docs/protocol.md#client). */
export interface EventStreamOptions<Events extends object> {
  /**
   * The hub's endpoint, e.g. `https://app.example.com/events`. One URL serves both transports:
   * the scheme is switched to `ws(s):` or `http(s):` as needed. Relative URLs resolve against the
   * page in a browser. Required.
   */
  url: string | URL;
  /** `"websocket"` (two-way: `send` works) or `"sse"` (fetch-based Server-Sent Events). Default `"websocket"`. */
  transport?: "websocket" | "sse";
  /** Only this session's events (query `session`, docs/protocol.md#wire-protocol). Default: every session the server allows. */
  session?: string;
  /** Only these event names, or prefixes ending in `*` such as `"call.*"` (query `events`). Default: all. */
  events?: readonly EventFilter<Events>[];
  /** Opt-in events to receive as well, e.g. `["llm.tool_result"]`: names or prefixes (query `include`). Default: none. */
  include?: readonly EventFilter<Events>[];
  /**
   * Resume after this id: one saved before a page reload, or `hub.cursor()` handed over by a page
   * rendered on the server, which then continues exactly from the moment of rendering
   * (docs/protocol.md#resume). Takes precedence over `from`. Default: none.
   */
  lastEventId?: string;
  /**
   * Where the first connection starts when there is no `lastEventId`: `"live"` (events published
   * from now on) or `"earliest"` (every event the hub still retains for this view, oldest first,
   * then live ones, with no `gap`: a dashboard opened mid-call shows the call so far). Once an
   * event has arrived, reconnects resume after the last one as usual. Default `"live"`.
   */
  from?: "live" | "earliest";
  /**
   * Request headers, e.g. `{ Authorization: "Bearer ..." }`, or a function (possibly async) called
   * before every attempt so a token is fresh after a reconnect. SSE sends them on every request.
   * Browsers cannot set WebSocket headers (use a query parameter or a cookie there); WebSocket
   * implementations that accept an options argument, such as the `ws` package in Node, receive
   * them as `{ headers }`. Default: none.
   */
  headers?: HeadersOption;
  /**
   * Backoff and retry limits, or `false` to never reconnect. Defaults:
   * `{ initialDelayMs: 500, maxDelayMs: 20_000, maxRetries: Infinity, healthyAfterMs: 5_000 }`.
   * Refusals (WebSocket 4400/4401/4403/1008, SSE 400/401/403/404/410/204) are never retried.
   */
  reconnect?: ReconnectOptions | false;
  /**
   * The server's heartbeat interval (the hub's `heartbeatMs`). A WebSocket sends a `ping` action
   * after this much silence; `0` turns liveness checks off. Default 15 000.
   */
  heartbeatMs?: number;
  /** Silence after which a connection is treated as dead and replaced. Default `2.5 × heartbeatMs`. */
  heartbeatTimeoutMs?: number;
  /**
   * The WebSocket class. Default `globalThis.WebSocket`; Node 20 has none: pass `WebSocket` from
   * the `ws` package.
   */
  WebSocket?: WebSocketConstructor;
  /** The fetch function used by the SSE transport. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** The SSE request's `credentials` mode (`"include"` sends cookies cross-origin). Default: fetch's (`"same-origin"`). */
  credentials?: RequestCredentials;
  /**
   * Keep one connection per origin and stream for all tabs of this browser: one tab holds it
   * (elected with Web Locks) and fans events and status out to the others over BroadcastChannel;
   * when it closes, another tab takes over and resumes from its last id. Falls back to a connection
   * of its own where either API is missing (Node, old browsers). Default `false`.
   */
  shareAcrossTabs?: boolean;
}

/**
 * A live stream of events (docs/protocol.md#client). It connects on creation (in a microtask, so listeners added
 * right away see everything) and reconnects until refused or closed.
 */
export interface EventStream<Events extends object> extends AsyncIterable<AnyEvent<Events>> {
  /**
   * Calls `listener` for every event named `name` (a name of the map, a control event such as
   * `"gap"`, or `"*"` for all of them). A thrown error is reported, not propagated. Returns the
   * unsubscribe function.
   */
  on<Name extends ListenName<Events>>(name: Name, listener: (event: EventFor<Events, Name>) => void): () => void;
  /**
   * Calls `listener` on every change of status, with the error that caused `"reconnecting"` or
   * `"error"`. Returns the unsubscribe function; read {@link EventStream.status} for the current one.
   */
  onStatus(listener: (status: StreamStatus, error?: EventStreamError) => void): () => void;
  /**
   * Sends an action (WebSocket only; throws a TypeError on SSE). While not connected the message
   * waits for the next connection. Resolves with the reply's `result` (`ack`, or `pong` for
   * `ping`) and rejects with an {@link EventStreamError} carrying the server's `code`, or
   * `connection_lost` / `closed`. A `ref` is generated when the message has none. The promise
   * never causes an unhandled rejection: fire and forget is fine.
   */
  send<Result = unknown>(message: ActionMessage): Promise<Result>;
  readonly status: StreamStatus;
  /** The id of the last event received: where the next connection resumes. */
  readonly lastEventId: string | undefined;
  /** Why the stream is in `"reconnecting"`, `"error"` or `"closed"` (after a 204), if it is. */
  readonly error: EventStreamError | undefined;
  /** Disconnects, stops reconnecting, clears every timer and listener, ends iterators, rejects pending sends. */
  close(): void;
}

import { EventStreamError } from "./event-stream-error.js";
import type { Ref } from "./event-types.js";
import { startLivenessMonitor, type LivenessMonitor } from "./liveness-monitor.js";
import { backoffDelay, type ReconnectPolicy } from "./reconnect-policy.js";
import { parseWireEvent, type StreamSink, type StreamSource } from "./stream-source.js";
import { buildStreamUrl, type StreamQuery } from "./stream-url.js";
import { openSseConnection } from "./transports/sse.js";
import type { Drop, HeadersOption, TransportConnection, TransportHandlers } from "./transports/transport.js";
import { openWebSocketConnection, type WebSocketConstructor } from "./transports/ws.js";

export interface ConnectionLoopConfig {
  url: string | URL;
  transport: "websocket" | "sse";
  query: Omit<StreamQuery, "lastEventId">;
  headers: HeadersOption | undefined;
  policy: ReconnectPolicy;
  /** 0 disables liveness checks. */
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  WebSocket: WebSocketConstructor | undefined;
  fetch: typeof fetch | undefined;
  credentials: RequestCredentials | undefined;
  random: () => number;
}

/** The `ref` of the client's own liveness pings; their answers never reach listeners. */
export const heartbeatRef = "ew-heartbeat";

const heartbeatPing = JSON.stringify({ action: "ping", ref: heartbeatRef });

/**
 * Keeps one connection open: connects, resumes from the sink's last id, detects silence, and on
 * a drop waits out the backoff and connects again, until refused, out of retries, or closed.
 */
export class ConnectionLoop implements StreamSource {
  private connection: TransportConnection | undefined;
  private monitor: LivenessMonitor | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private healthyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Failed attempts since the last healthy connection. */
  private failures = 0;
  private everConnected = false;
  private open = false;
  /** A WebSocket is open and its admission ping is on its way (see handleOpen). */
  private confirming = false;
  private stopped = false;
  /** The server's SSE `retry:`, which replaces `initialDelayMs` as the backoff base. */
  private serverRetryMs: number | undefined;
  /** Action messages waiting for an open connection. */
  private readonly outbox: { text: string; ref: Ref }[] = [];
  /** Refs written to the current connection whose reply has not arrived. */
  private readonly inflight = new Set<Ref>();
  private readonly onOnline = (): void => this.reconnectNow();

  constructor(
    private readonly config: ConnectionLoopConfig,
    private readonly sink: StreamSink,
  ) {}

  start(): void {
    const target = globalThis as { addEventListener?: (type: string, fn: () => void) => void };
    target.addEventListener?.("online", this.onOnline);
    this.connect();
  }

  send(text: string, ref: Ref): void {
    if (this.open && this.connection?.send?.(text)) this.inflight.add(ref);
    else this.outbox.push({ text, ref });
  }

  /** Skips the backoff wait (the browser is back online). */
  reconnectNow(): void {
    if (this.stopped || this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.connect();
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    const target = globalThis as { removeEventListener?: (type: string, fn: () => void) => void };
    target.removeEventListener?.("online", this.onOnline);
    this.endConnection();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.outbox.length = 0;
  }

  private connect(): void {
    // Later attempts stay "reconnecting", as the drop that scheduled them said.
    if (!this.everConnected && this.failures === 0) this.sink.setStatus("connecting");
    const { config } = this;
    let url: string;
    const lastEventId = this.sink.resumeId();
    try {
      url = buildStreamUrl(config.url, config.transport, { ...config.query, lastEventId });
    } catch (error) {
      this.stop(new EventStreamError("bad_request", (error as Error).message, { cause: error }));
      return;
    }

    let connection: TransportConnection | undefined;
    let droppedEarly = false;
    // Transports call nothing after `close()`; the identity check is a second line of defence.
    const current = (): boolean => !this.stopped && connection !== undefined && this.connection === connection;
    const handlers: TransportHandlers = {
      onOpen: () => {
        if (current()) this.handleOpen();
      },
      onMessage: (text, sseId) => {
        if (current()) this.handleMessage(text, sseId);
      },
      onActivity: () => {
        if (current()) this.monitor?.touch();
      },
      onRetry: (ms) => {
        if (current()) this.serverRetryMs = ms;
      },
      onDrop: (drop) => {
        if (connection === undefined) {
          // Reported synchronously, from inside the transport's constructor.
          droppedEarly = true;
          if (!this.stopped) this.handleDrop(drop);
        } else if (current()) {
          this.handleDrop(drop);
        }
      },
    };
    connection =
      config.transport === "sse"
        ? openSseConnection(
            { url, lastEventId, headers: config.headers, fetch: config.fetch!, credentials: config.credentials },
            handlers,
          )
        : openWebSocketConnection({ url, headers: config.headers, WebSocket: config.WebSocket! }, handlers);
    if (droppedEarly || this.stopped) return;
    this.connection = connection;
    this.startMonitor();
  }

  private startMonitor(): void {
    const { heartbeatMs, heartbeatTimeoutMs, transport } = this.config;
    if (heartbeatMs <= 0) return;
    this.monitor = startLivenessMonitor({
      intervalMs: heartbeatMs,
      timeoutMs: heartbeatTimeoutMs,
      // SSE servers send comments on their own; a WebSocket client must ask.
      onIdle: transport === "websocket" ? () => void (this.open && this.connection?.send?.(heartbeatPing)) : undefined,
      onDead: () => {
        this.handleDrop({
          kind: "retry",
          error: new EventStreamError(
            "heartbeat_timeout",
            `nothing arrived for ${heartbeatTimeoutMs} ms; replacing the connection`,
          ),
        });
      },
    });
  }

  /**
   * The transport is open. An SSE response of 200 means the hub admitted the stream; a WebSocket
   * opens before the hub has run `authorize` (it may still close with 4401 or 1013), so the loop
   * sends a ping and counts the connection as connected at the first message back: the hub
   * answers only once it has admitted the connection.
   */
  private handleOpen(): void {
    if (this.config.transport === "websocket") {
      this.confirming = true;
      this.connection?.send?.(heartbeatPing);
      return;
    }
    this.confirmOpen();
  }

  private confirmOpen(): void {
    this.confirming = false;
    this.open = true;
    this.everConnected = true;
    this.monitor?.touch();
    this.healthyTimer = setTimeout(() => {
      this.healthyTimer = undefined;
      this.failures = 0;
    }, this.config.policy.healthyAfterMs);
    this.sink.setStatus("connected");
    while (this.outbox.length > 0 && this.open && !this.stopped) {
      const { text, ref } = this.outbox[0]!;
      if (!this.connection?.send?.(text)) break;
      this.outbox.shift();
      this.inflight.add(ref);
    }
  }

  private handleMessage(text: string, sseId: string | undefined): void {
    this.monitor?.touch();
    if (this.confirming) this.confirmOpen();
    const event = parseWireEvent(text, sseId);
    if (event === undefined) return;
    if (event.ref !== undefined && event.id === undefined) {
      if (event.ref === heartbeatRef) return;
      this.inflight.delete(event.ref);
    }
    this.sink.deliver(event);
  }

  private handleDrop(drop: Drop): void {
    const wasOpen = this.open;
    this.endConnection();
    if (this.inflight.size > 0) {
      const refs = [...this.inflight];
      this.inflight.clear();
      this.sink.lost(
        refs,
        new EventStreamError("connection_lost", "the connection dropped before the server answered", {
          cause: drop.error,
        }),
      );
    }
    if (this.stopped) return;
    if (drop.kind !== "retry") {
      this.stop(drop.error, drop.kind === "finished" ? "closed" : "error");
      return;
    }
    // A healthy stream the server ended on purpose (rotated): back at once, and no failure counted.
    if (drop.immediate && wasOpen) {
      this.sink.setStatus("reconnecting", drop.error);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (!this.stopped) this.connect();
      }, 0);
      return;
    }
    const { policy } = this.config;
    if (this.failures >= policy.maxRetries) {
      this.stop(
        new EventStreamError(
          "retries_exhausted",
          `gave up after ${this.failures + 1} failed connection attempts in a row: ${drop.error.message}`,
          { cause: drop.error, status: drop.error.status, closeCode: drop.error.closeCode },
        ),
      );
      return;
    }
    let delay = backoffDelay(this.failures, policy, this.serverRetryMs ?? policy.initialDelayMs, this.config.random);
    if (drop.retryAfterMs !== undefined) delay = Math.max(delay, Math.min(drop.retryAfterMs, policy.maxDelayMs));
    this.failures += 1;
    this.sink.setStatus("reconnecting", drop.error);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private endConnection(): void {
    this.open = false;
    this.confirming = false;
    this.monitor?.stop();
    this.monitor = undefined;
    if (this.healthyTimer !== undefined) clearTimeout(this.healthyTimer);
    this.healthyTimer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    connection?.close();
  }

  private stop(error: EventStreamError, status: "error" | "closed" = "error"): void {
    this.close();
    this.sink.setStatus(status, error);
  }
}

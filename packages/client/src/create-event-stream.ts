import { ConnectionLoop, type ConnectionLoopConfig } from "./connection-loop.js";
import { EventStreamError } from "./event-stream-error.js";
import type { EventStream, EventStreamOptions } from "./event-stream.js";
import { EventQueue } from "./event-queue.js";
import type { ActionMessage, AnyEvent, Ref, UntypedEvents } from "./event-types.js";
import { resolveReconnectPolicy } from "./reconnect-policy.js";
import { canShareAcrossTabs, TabShare } from "./share-across-tabs.js";
import type { StreamSink, StreamSource, StreamStatus, WireEvent } from "./stream-source.js";
import { buildStreamUrl, validateNames } from "./stream-url.js";
import type { WebSocketConstructor } from "./transports/ws.js";

type Listener = (event: any) => void;
type StatusListener = (status: StreamStatus, error?: EventStreamError) => void;

/** Reply events that answer an action by its `ref`. */
const replyEvents = new Set(["ack", "error", "pong"]);

/**
 * Opens a stream of events from an Eventwire hub over WebSocket or SSE, with reconnect and resume
 * (docs/protocol.md#client). See {@link EventStreamOptions} for the options and their defaults.
 *
 * @example
 * const stream = createEventStream<AgentEvents>({ url: "https://app.example.com/events", session: "CA_1" });
 * stream.on("bot.word", (e) => transcript.push(e.word));
 * stream.onStatus((status) => badge.set(status));
 */
export function createEventStream<Events extends object = UntypedEvents>(
  options: EventStreamOptions<Events>,
): EventStream<Events> {
  return new EventStreamClient<Events>(options);
}

class EventStreamClient<Events extends object> implements EventStream<Events> {
  private currentStatus: StreamStatus = "idle";
  private currentError: EventStreamError | undefined;
  private lastId: string | undefined;
  /** What the first connection asks for without a last id: `"earliest"`, or nothing (live). */
  private readonly startFrom: "earliest" | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly statusListeners = new Set<StatusListener>();
  private readonly pending = new Map<Ref, { resolve: (result: any) => void; reject: (error: EventStreamError) => void }>();
  private readonly source: StreamSource;
  /** Shared across tabs: replies to another tab's actions are not this tab's events. */
  private readonly shared: boolean;
  private readonly refPrefix: string;
  private nextRef = 1;
  private readonly transport: "websocket" | "sse";
  /** What the connection loop (or the tab holding the shared connection) reports to. */
  private readonly sink: StreamSink = {
    resumeId: () => this.lastId ?? this.startFrom,
    deliver: (event) => this.deliver(event),
    setStatus: (status, error) => this.setStatus(status, error),
    lost: (refs, error) => this.lost(refs, error),
  };

  constructor(options: EventStreamOptions<Events>) {
    if (options === null || typeof options !== "object") throw new TypeError("createEventStream needs an options object with a url");
    if (options.url === undefined || options.url === "") throw new TypeError("url is required, e.g. https://app.example.com/events");
    const transport = options.transport ?? "websocket";
    if (transport !== "websocket" && transport !== "sse") {
      throw new TypeError(`transport must be "websocket" or "sse", got ${JSON.stringify(transport)}`);
    }
    this.transport = transport;
    validateNames("events", options.events as readonly string[] | undefined);
    validateNames("include", options.include as readonly string[] | undefined);
    const heartbeatMs = options.heartbeatMs ?? 15_000;
    const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? heartbeatMs * 2.5;
    // heartbeatMs 0 turns liveness checks off, and with them the timeout.
    if (!(heartbeatMs >= 0) || (heartbeatMs > 0 && !(heartbeatTimeoutMs > 0))) {
      throw new TypeError("heartbeatMs must be >= 0 (0 turns liveness checks off) and heartbeatTimeoutMs > 0");
    }
    if (options.from !== undefined && options.from !== "live" && options.from !== "earliest") {
      throw new TypeError(`from must be "live" or "earliest", got ${JSON.stringify(options.from)}`);
    }
    const config: ConnectionLoopConfig = {
      url: options.url,
      transport,
      query: {
        session: options.session,
        events: options.events as readonly string[] | undefined,
        include: options.include as readonly string[] | undefined,
      },
      headers: options.headers,
      policy: resolveReconnectPolicy(options.reconnect),
      heartbeatMs,
      heartbeatTimeoutMs,
      WebSocket: undefined,
      fetch: undefined,
      credentials: options.credentials,
      random: Math.random,
    };
    if (transport === "websocket") {
      const WebSocketClass =
        options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (typeof WebSocketClass !== "function") {
        throw new TypeError(
          'no WebSocket implementation: pass one as the WebSocket option (in Node 20: import { WebSocket } from "ws"), or use transport: "sse"',
        );
      }
      config.WebSocket = WebSocketClass;
    } else {
      const fetchFunction = options.fetch ?? globalThis.fetch;
      if (typeof fetchFunction !== "function") throw new TypeError("no fetch implementation: pass one as the fetch option");
      // Unbound, the browser's fetch throws "Illegal invocation".
      config.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    }
    // Validates the URL now, so a typo fails here rather than in a status listener.
    const streamUrl = buildStreamUrl(options.url, transport, config.query);
    this.lastId = options.lastEventId || undefined;
    this.startFrom = options.from === "earliest" ? "earliest" : undefined;

    this.shared = options.shareAcrossTabs === true && canShareAcrossTabs();
    if (this.shared) {
      const share = new TabShare(`eventwire:${transport}:${streamUrl}`, this.sink, (sink) => new ConnectionLoop(config, sink));
      this.refPrefix = `ew-${share.tabId}-`;
      this.source = share;
    } else {
      this.refPrefix = "ew-";
      this.source = new ConnectionLoop(config, this.sink);
    }
    queueMicrotask(() => {
      if (this.currentStatus === "idle") this.source.start();
    });
  }

  get status(): StreamStatus {
    return this.currentStatus;
  }

  get lastEventId(): string | undefined {
    return this.lastId;
  }

  get error(): EventStreamError | undefined {
    return this.currentError;
  }

  on(name: string, listener: Listener): () => void {
    if (typeof listener !== "function") throw new TypeError(`on("${name}") needs a listener function`);
    if (this.isOver()) return () => {};
    let set = this.listeners.get(name);
    if (set === undefined) this.listeners.set(name, (set = new Set()));
    const entry: Listener = (event) => listener(event);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  onStatus(listener: StatusListener): () => void {
    if (typeof listener !== "function") throw new TypeError("onStatus needs a listener function");
    if (this.isOver()) return () => {};
    const entry: StatusListener = (status, error) => listener(status, error);
    this.statusListeners.add(entry);
    return () => {
      this.statusListeners.delete(entry);
    };
  }

  send<Result = unknown>(message: ActionMessage): Promise<Result> {
    if (this.transport !== "websocket") {
      throw new TypeError('send needs transport: "websocket"; SSE streams are one-way');
    }
    if (message === null || typeof message !== "object" || typeof message.action !== "string") {
      throw new TypeError('send takes an action message such as { action: "ping" }');
    }
    const ref = message.ref ?? `${this.refPrefix}${this.nextRef++}`;
    const text = JSON.stringify(message.ref === undefined ? { ...message, ref } : message);
    const promise = new Promise<Result>((resolve, reject) => {
      if (this.isOver()) {
        reject(this.currentError ?? new EventStreamError("closed", "the stream is closed"));
        return;
      }
      if (this.pending.has(ref)) {
        reject(new EventStreamError("duplicate_ref", `an action with ref ${JSON.stringify(ref)} is still waiting for its reply`));
        return;
      }
      this.pending.set(ref, { resolve, reject });
      this.source.send(text, ref);
    });
    // Handled here so an ignored rejection (fire and forget) is never an unhandled rejection;
    // callers that attach their own handlers still see it.
    promise.catch(() => {});
    return promise;
  }

  close(): void {
    if (this.currentStatus === "closed") return;
    this.source.close();
    this.setStatus("closed", this.currentStatus === "error" ? this.currentError : undefined);
    this.listeners.clear();
    this.statusListeners.clear();
  }

  [Symbol.asyncIterator](): AsyncIterator<AnyEvent<Events>> {
    let offEvents = (): void => {};
    let offStatus = (): void => {};
    const queue = new EventQueue<AnyEvent<Events>>(() => {
      offEvents();
      offStatus();
    });
    if (this.isOver()) {
      queue.end(this.currentStatus === "error" ? this.currentError : undefined);
      return queue;
    }
    offEvents = this.on("*", (event) => queue.push(event));
    offStatus = this.onStatus((status, error) => {
      if (status === "closed") queue.end();
      else if (status === "error") queue.end(error);
    });
    return queue;
  }

  private deliver(event: WireEvent): void {
    if (this.currentStatus === "closed") return;
    if (typeof event.id === "string") this.lastId = event.id;
    if (event.ref !== undefined && event.id === undefined && replyEvents.has(event.event)) {
      const pending = this.pending.get(event.ref);
      if (pending !== undefined) {
        this.pending.delete(event.ref);
        if (event.event === "error") {
          const code = typeof event.code === "string" ? event.code : "action_failed";
          const message = typeof event.message === "string" ? event.message : code;
          pending.reject(new EventStreamError(code, message, { ref: event.ref }));
        } else {
          pending.resolve(event.result);
        }
      } else if (this.shared) {
        return;
      }
    }
    this.dispatch(this.listeners.get(event.event), event);
    this.dispatch(this.listeners.get("*"), event);
  }

  private setStatus(status: StreamStatus, error?: EventStreamError): void {
    if (this.currentStatus === "closed") return;
    this.currentError = status === "connected" || status === "connecting" ? undefined : error;
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    if (status === "error" || status === "closed") {
      const reason = error ?? new EventStreamError("closed", "the stream is closed");
      for (const { reject } of this.pending.values()) reject(reason);
      this.pending.clear();
    }
    for (const listener of this.statusListeners) {
      try {
        listener(status, error);
      } catch (thrown) {
        report(thrown);
      }
    }
  }

  private lost(refs: readonly Ref[], error: EventStreamError): void {
    for (const ref of refs) {
      const pending = this.pending.get(ref);
      if (pending === undefined) continue;
      this.pending.delete(ref);
      pending.reject(new EventStreamError(error.code, error.message, { ref, cause: error.cause }));
    }
  }

  private isOver(): boolean {
    return this.currentStatus === "closed" || this.currentStatus === "error";
  }

  private dispatch(listeners: Set<Listener> | undefined, event: WireEvent): void {
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (thrown) {
        report(thrown);
      }
    }
  }
}

/** Reports a listener's error without breaking delivery to the others (as EventTarget does). */
function report(error: unknown): void {
  const reportError = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof reportError === "function") reportError(error);
  else
    setTimeout(() => {
      throw error;
    });
}

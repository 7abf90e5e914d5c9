import type { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { ActionHandler } from "./actions.js";
import { checkGrant, originAllowed, Refusal, type CheckedGrant, type EventwireRequest } from "./authorize.js";
import type { Bus, BusEvent } from "./bus/bus.js";
import { memoryBus } from "./bus/memory-bus.js";
import type { Admission, Connection, EventCounters } from "./connection.js";
import { corsHeaders, preflightHeaders } from "./cors.js";
import { eventFilter } from "./event-filter.js";
import { Frame } from "./frame.js";
import { HubMetrics } from "./metrics.js";
import { isNodeRequest, requestFromNode } from "./node/request.js";
import { resolveOptions, type HubOptions, type ResolvedOptions } from "./options.js";
import { encodePublished } from "./publish-validation.js";
import { BadQueryError, readStreamOptions, targetParses, type StreamOptions } from "./query.js";
import { ReplayCompactor } from "./compaction.js";
import { catchUp } from "./resume.js";
import { checkSelector, decodeRevocation, encodeRevocation, revokes, type CheckedSelector, type RevokeSelector } from "./revocation.js";
import { ScopeIndex } from "./scope-index.js";
import { streamLifetimeMs } from "./stream-lifetime.js";
import { attachEmitter, type AttachOptions, type PipeOptions } from "./sources.js";
import { sseHeaders } from "./sse/encode.js";
import { NodeSseSink } from "./sse/node-sink.js";
import { SseConnection } from "./sse/sse-connection.js";
import type { SseSink } from "./sse/sse-sink.js";
import { unrefTimer } from "./timers.js";
import { ConnectionInbox } from "./ws/connection-inbox.js";
import type { SocketLike } from "./ws/socket-like.js";
import type { WebSocketInbox, WebSocketPeer } from "./ws/websocket-peer.js";
import { WsConnection } from "./ws/ws-connection.js";
import { WsSocketPeer } from "./ws/ws-socket-peer.js";
import { viewOf } from "./view.js";

/** Stream options, plus the request that opened the stream (for `authorize` and the query). */
export interface ConnectOptions<K extends string = string> extends StreamOptions<K> {
  request?: IncomingMessage | EventwireRequest;
}

export interface HubStats {
  connections: { sse: number; websocket: number };
  events: { published: number; delivered: number; dropped: number };
}

/**
 * Most fragments one client message may arrive in. Browsers never fragment what they send; `ws`'s
 * default (16,384) let one message of a few KB, sent a byte per fragment, pin about 2 MB.
 */
const maxMessageFragments = 64;

/**
 * The hub: takes events from publishers and sources, routes each to the connections that may and
 * want to see it, keeps history through its bus, and serves SSE and WebSocket streams. `K`: the
 * names of its declared scopes.
 */
export class Hub<K extends string = string> {
  readonly options: ResolvedOptions;
  readonly bus: Bus;
  readonly counters: EventCounters = { published: 0, delivered: 0, dropped: 0 };
  readonly actions = new Map<string, ActionHandler>();
  readonly #connections = new Set<Connection>();
  readonly #index = new ScopeIndex<Connection>();
  /** Tells this hub's own control messages from other processes' when the bus echoes them. */
  readonly #hubId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  readonly #counts = { sse: 0, websocket: 0 };
  readonly #sources = new Set<() => void>();
  #pending = 0;
  #dispatchedThrough: string | undefined;
  #opened: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #allClosed: (() => void) | undefined;
  #upgrades: WebSocketServer | undefined;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  readonly #metrics: HubMetrics;
  readonly #compactor: ReplayCompactor | undefined;

  constructor(options: HubOptions<K> = {}) {
    this.options = resolveOptions(options as HubOptions<string>);
    this.#metrics = new HubMetrics(options.meter, this);
    this.bus = options.bus ?? memoryBus();
    const { compact, sessionKey, logger } = this.options;
    this.#compactor = Object.keys(compact).length > 0 ? new ReplayCompactor(compact, sessionKey, logger) : undefined;
    if (options.authorize === undefined) {
      this.options.logger.warn("[eventwire] no authorize option: every connection may watch every session. Pass authorize to scope them.");
    }
    const opening = this.bus.open({
      history: this.options.history,
      onEvent: (event) => this.#dispatch(event),
      onControl: (message) => this.#control(message),
      onError: (error) => this.options.logger.error("[eventwire] bus error", error),
    });
    this.#opened = opening.then(() => {
      this.#opened = undefined;
    });
    this.#opened.catch((error) => this.options.logger.error("[eventwire] the bus failed to open", error));
    this.#heartbeat = unrefTimer(setInterval(() => sweepHeartbeats([...this.#connections], this.options.heartbeatMs), this.options.heartbeatMs));
  }

  /** Resolves once the bus is open (publishing before that is queued, in order). */
  ready(): Promise<void> {
    return this.#opened ?? Promise.resolve();
  }

  /**
   * Publishes one event; resolves to its id. Throws a TypeError at once, and sends nothing, for an
   * event without a string `event`, with its own `id`, or that JSON cannot encode (docs/protocol.md#events-and-publishing).
   */
  publish(event: { event: string; [field: string]: unknown }): Promise<string> {
    const record = encodePublished(event, this.options.sessionKey);
    if (this.#closing) return Promise.reject(new Error("eventwire: the hub is closed"));
    const published = this.#opened ? this.#opened.then(() => this.bus.publish(record)) : this.bus.publish(record);
    return published.then((id) => {
      this.counters.published++;
      return id;
    });
  }

  /** Publishes what an EventEmitter emits; returns a function that stops it. */
  attach(emitter: EventEmitter, options: AttachOptions = {}): () => void {
    const detach = attachEmitter(emitter, options, (event) => this.#publishFromSource(event));
    const stop = () => {
      detach();
      this.#sources.delete(stop);
    };
    this.#sources.add(stop);
    return stop;
  }

  /** Publishes every item of an async iterable, in order; resolves when it ends or the hub closes. */
  async pipe<T>(source: AsyncIterable<T>, options: PipeOptions<T> = {}): Promise<void> {
    const iterator = source[Symbol.asyncIterator]();
    let stopped = false;
    const stop = () => {
      stopped = true;
      void iterator.return?.();
    };
    this.#sources.add(stop);
    try {
      while (!stopped) {
        const next = await iterator.next();
        if (next.done || stopped) break;
        const event = options.map ? options.map(next.value) : next.value;
        if (event !== undefined) await this.#publishFromSource(event);
      }
    } finally {
      this.#sources.delete(stop);
    }
  }

  /** Registers a handler for client messages `{ action: name }`. `ping` is built in. */
  action(name: string, handler: ActionHandler): void {
    if (name === "ping") throw new TypeError('hub.action: "ping" is built in and answers {"event":"pong"}');
    if (typeof handler !== "function") throw new TypeError(`hub.action: the handler of "${name}" must be a function`);
    this.actions.set(name, handler);
  }

  /**
   * Serves one SSE stream on a Node request and response (docs/protocol.md#wire-protocol). Never rejects: whatever the
   * request, it is answered (a stream, a refusal, or a dropped response), and failures are logged.
   */
  sse(request: IncomingMessage, response: ServerResponse, options: StreamOptions<K> = {}): Promise<void> {
    return this.#serveSse(request, response, options).catch((error: unknown) => {
      this.#logError("[eventwire] an SSE response failed", error);
      response.destroy();
    });
  }

  async #serveSse(request: IncomingMessage, response: ServerResponse, options: StreamOptions<K>): Promise<void> {
    const neutral = requestFromNode(request);
    if (neutral.method === "OPTIONS") {
      response.writeHead(204, preflightHeaders(this.options.allowedOrigins, neutral.headers.origin, neutral.headers["access-control-request-headers"])).end();
      return;
    }
    const result = await this.admit(neutral, options);
    // The client may have left while `authorize` ran: nothing opens, nothing is counted.
    if (response.destroyed || response.writableEnded) return;
    const cors = corsHeaders(this.options.allowedOrigins, neutral.headers.origin);
    if (result instanceof Refusal) {
      response.writeHead(result.status, { ...result.headers(this.options.retryMs), ...cors }).end(result.body);
      return;
    }
    // `Connection: keep-alive` in so many words. Not `close`: a fetch client (Node's undici) then
    // takes the socket closing for the end of the body, so a crashed server's stream looks like
    // one that ended on purpose and is not retried. Given here, it also keeps Node from
    // advertising the server's `Keep-Alive: timeout` (Fastify's can be minutes), which a fetch
    // client would hold a spare socket open for, and the server's close wait on it.
    response.writeHead(200, { ...sseHeaders, ...cors, connection: "keep-alive" });
    response.flushHeaders();
    this.openSse(new NodeSseSink(response), result);
  }

  /** Serves one `ws`-compatible socket (docs/protocol.md#wire-protocol). Messages it sends while `authorize` runs are kept. */
  ws(socket: SocketLike, options: ConnectOptions<K> = {}): void {
    const peer = new WsSocketPeer(socket);
    peer.bind(this.openWebSocket(peer, options));
  }

  /**
   * Serves one WebSocket of any runtime (docs/protocol.md#runtimes-and-platforms): `peer` is how
   * the hub sends and closes; the binding pushes what the socket reports into the returned inbox,
   * from the moment the socket is open (messages that arrive while `authorize` runs are kept).
   */
  openWebSocket(peer: WebSocketPeer, options: ConnectOptions<K> = {}): WebSocketInbox {
    const request = options.request === undefined ? undefined : isNodeRequest(options.request) ? requestFromNode(options.request) : options.request;
    const inbox = new ConnectionInbox(this.options.limits.maxMessageBytes, (code, reason) => peer.close(code, reason));
    // A socket that closed before it got here (a client gone during the upgrade) is not admitted.
    if (!peer.open) return inbox;
    void this.admit(request ?? { method: "GET", url: "/", headers: {} }, options).then((result) => {
      if (inbox.gone || !peer.open) return;
      if (result instanceof Refusal) {
        peer.close(result.closeCode, result.reason);
        return;
      }
      const connection = new WsConnection(this, result, peer);
      this.#open(connection, result.lastEventId);
      inbox.open(connection);
    }).catch((error: unknown) => {
      this.#logError("[eventwire] a WebSocket failed to open", error);
      peer.close(1011, "the stream could not be opened");
    });
    return inbox;
  }

  /**
   * Completes a WebSocket upgrade on a plain Node or Next server (`server.on("upgrade", ...)`): a
   * handshake {@link handshakeRefusal} refuses is answered with its status (403, 400, 405), anything
   * else is upgraded and served. Never throws into Node's `upgrade` event.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, options: StreamOptions<K> = {}): void {
    // Node leaves an upgraded socket without an 'error' listener: a client reset while the
    // refusal is written would otherwise be an uncaught exception. `ws` adds its own as it takes over.
    // A function declared outside: a closure here would share this call's scope and keep `request`
    // alive as long as the socket (about 1.2 KB per open WebSocket).
    socket.on("error", destroySocket);
    try {
      const refusal = this.handshakeRefusal(request);
      if (refusal) {
        socket.end(refusal.handshakeResponse());
        return;
      }
      this.#upgrades ??= new WebSocketServer({ noServer: true, clientTracking: false, ...this.wsServerOptions });
      this.#upgrades.handleUpgrade(request, socket, head, (ws) => this.ws(ws, { ...options, request }));
    } catch (error) {
      this.#logError("[eventwire] a WebSocket upgrade failed", error);
      socket.destroy();
    }
  }

  /**
   * Why a WebSocket handshake must be refused before it upgrades, if it must (docs/protocol.md#wire-protocol, #sessions-scopes-and-authorization): a method
   * other than GET (405), an `Origin` outside `allowedOrigins` (403), a request target that cannot
   * be parsed (400). `handleUpgrade` applies it; adapters whose framework upgrades before the hub
   * sees the socket call it first and answer `refusal.status`. Everything else is decided after the
   * upgrade, by {@link admit}, with a close code.
   */
  handshakeRefusal(request: IncomingMessage | EventwireRequest): Refusal | undefined {
    return this.#screen(isNodeRequest(request) ? requestFromNode(request) : request);
  }

  /**
   * The `ws` server options that enforce the hub's limits on what clients send (docs/protocol.md#load-and-bad-input): messages
   * up to `limits.maxMessageBytes`, in at most 64 fragments, uncompressed. For adapters that create
   * their own `ws` server (`@fastify/websocket`, `@hono/node-ws`): pass them to it.
   */
  get wsServerOptions(): { maxPayload: number; maxFragments: number; perMessageDeflate: false } {
    return { maxPayload: this.options.limits.maxMessageBytes, maxFragments: maxMessageFragments, perMessageDeflate: false };
  }

  /** Whether a request's `Origin` may open a stream; for adapters that upgrade before the hub sees the socket. */
  originAllowed(origin: string | string[] | undefined): boolean {
    return originAllowed(this.options.allowedOrigins, origin);
  }

  /**
   * The one gate of every stream (docs/protocol.md#wire-protocol, #sessions-scopes-and-authorization): method, origin, target, capacity, `authorize`, the
   * query, the session and scopes asked for. Resolves to what the connection is admitted with, or a Refusal;
   * never rejects, whatever the request (a failure of its own is logged and refused with 500).
   */
  async admit(request: EventwireRequest, fromCode: StreamOptions<K> = {}): Promise<Admission | Refusal> {
    let result: Admission | Refusal;
    try {
      result = await this.#admit(request, fromCode);
    } catch (error) {
      this.#logError("[eventwire] a stream could not be admitted", error);
      result = new Refusal(500, "internal_error", "the stream could not be opened");
    }
    if (result instanceof Refusal) this.#metrics.refused(result.status, result.code);
    return result;
  }

  async #admit(request: EventwireRequest, fromCode: StreamOptions): Promise<Admission | Refusal> {
    const screened = this.#screen(request);
    if (screened) return screened;
    if (this.#closing) return new Refusal(503, "unavailable", "the server is shutting down");
    if (this.#connections.size + this.#pending >= this.options.limits.maxConnections) {
      return new Refusal(503, "unavailable", "the server is at its connection limit");
    }
    this.#pending++;
    let answer: unknown;
    try {
      const { authorize } = this.options;
      answer = typeof authorize === "function" ? await this.#metrics.timeAuthorize(() => authorize(request)) : authorize;
    } catch (error) {
      this.#logError("[eventwire] authorize threw", error);
      return new Refusal(500, "authorize_failed", "authorization failed on the server");
    } finally {
      this.#pending--;
    }
    if (this.#closing) return new Refusal(503, "unavailable", "the server is shutting down");
    let grant: CheckedGrant | Refusal;
    try {
      grant = checkGrant(answer, this.options.scopes, Date.now());
    } catch (error) {
      this.#logError("[eventwire] authorize returned an invalid grant", error);
      return new Refusal(500, "authorize_failed", "authorization failed on the server");
    }
    if (grant instanceof Refusal) return grant;
    let options: StreamOptions;
    try {
      options = readStreamOptions(request.url, request.headers, fromCode, this.options.scopes);
    } catch (error) {
      if (error instanceof BadQueryError) return new Refusal(400, "bad_request", error.message);
      throw error; // stream options from code naming an undeclared scope: a TypeError, logged, 500
    }
    const view = viewOf(grant, options, this.options.scopes);
    if (view instanceof Refusal) return view;
    return {
      view,
      subject: grant.subject,
      expiresAt: grant.expiresAt,
      sessionId: options.sessionId,
      filter: eventFilter(options.events, options.include),
      principal: grant.principal,
      lastEventId: options.lastEventId,
      eventLines: options.eventLines ?? this.options.eventLines,
    };
  }

  /** What is refused before `authorize` runs: a method other than GET, a foreign origin, an unparseable target. */
  #screen(request: EventwireRequest): Refusal | undefined {
    if (request.method !== "GET") return new Refusal(405, "method_not_allowed", "a stream opens with GET; OPTIONS answers CORS preflights");
    if (!originAllowed(this.options.allowedOrigins, request.headers.origin)) {
      return new Refusal(403, "forbidden_origin", "this origin may not open a stream");
    }
    if (!targetParses(request.url)) return new Refusal(400, "bad_request", "the request target cannot be parsed as a URL");
    return undefined;
  }

  /** Logs through the hub's logger; a logger that throws is not let through to the request. */
  #logError(message: string, error: unknown): void {
    try {
      this.options.logger.error(message, error);
    } catch {
      // Nothing else can be done with it: the request is answered either way.
    }
  }

  /** Starts an admitted SSE stream on any sink (Node response, Web stream). */
  openSse(sink: SseSink, admission: Admission): void {
    this.#open(new SseConnection(this, admission, sink), admission.lastEventId);
  }

  /**
   * Closes every open stream `selector` matches, now (WebSocket 4403, SSE ended), here and on every
   * process that shares the bus (docs/protocol.md#sessions-scopes-and-authorization). Resolves
   * once this process's matching streams are closed and the bus has taken the revocation. Throws a
   * TypeError at once for an empty selector or a scope that is not declared.
   */
  revoke(selector: RevokeSelector<K>): Promise<void> {
    const checked = checkSelector(selector, this.options.scopes);
    const broadcast = this.#opened ? this.#opened.then(() => this.#broadcast(checked)) : this.#broadcast(checked);
    return Promise.all([broadcast, this.#revokeHere(checked)]).then(() => undefined);
  }

  /**
   * The newest id now (docs/protocol.md#resume): a page rendered on the server hands it to its
   * client, which resumes from it exactly, missing nothing published after the call and repeating
   * nothing before. Waits for the bus to open.
   */
  async cursor(): Promise<string> {
    await this.ready();
    return this.bus.cursor();
  }

  stats(): HubStats {
    return { connections: { ...this.#counts }, events: { ...this.counters } };
  }

  /**
   * Stops accepting, detaches sources, closes every connection (WebSocket 1001), `closeRate` a
   * second, then the bus (docs/protocol.md#shutdown). Resolves once every connection is gone.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** @internal Called by a connection as it starts closing. */
  connectionClosing(connection: Connection): void {
    this.#index.delete(connection);
  }

  /** @internal Called by a connection once it has closed. */
  connectionClosed(connection: Connection): void {
    if (!this.#connections.delete(connection)) return;
    this.#counts[connection.transport]--;
    this.#index.delete(connection);
    if (this.#connections.size === 0) this.#allClosed?.();
  }

  async #shutdown(): Promise<void> {
    for (const stop of [...this.#sources]) stop();
    const allClosed = new Promise<void>((resolve) => (this.#allClosed = resolve));
    if (this.#connections.size === 0) this.#allClosed?.();
    // Spread out, `closeRate` a second, so clients do not all reconnect in the same instant.
    const connections = [...this.#connections];
    const batch = Math.max(1, Math.ceil(this.options.closeRate / 100));
    for (let i = 0; i < connections.length; i += batch) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      for (const connection of connections.slice(i, i + batch)) connection.close("shutdown");
    }
    await allClosed;
    clearInterval(this.#heartbeat);
    await this.bus.close();
  }

  #broadcast(selector: CheckedSelector): Promise<void> {
    return this.bus.publishControl?.(encodeRevocation(this.#hubId, selector)) ?? Promise.resolve();
  }

  #revokeHere(selector: CheckedSelector): Promise<void> {
    const closed: Promise<void>[] = [];
    for (const connection of this.#connections) {
      if (!revokes(selector, connection)) continue;
      closed.push(new Promise((resolve) => connection.onClose(resolve)));
      connection.close("revoked");
    }
    return Promise.all(closed).then(() => undefined);
  }

  /** A control message from the bus: another process's revocation (this hub's own are skipped). */
  #control(message: string): void {
    const revocation = decodeRevocation(message);
    if (revocation === undefined || revocation.origin === this.#hubId) return;
    let selector: CheckedSelector;
    try {
      selector = checkSelector(revocation.selector, this.options.scopes);
    } catch (error) {
      this.#logError("[eventwire] ignored a revocation from the bus", error);
      return;
    }
    void this.#revokeHere(selector);
  }

  #open(connection: Connection, lastEventId: string | undefined): void {
    if (connection.closing) return;
    this.#connections.add(connection);
    this.#counts[connection.transport]++;
    if (this.options.maxStreamMs > 0) connection.endAfter(streamLifetimeMs(this.options.maxStreamMs));
    if (lastEventId === undefined) {
      this.#goLive(connection, undefined);
      return;
    }
    const { maxBufferedBytes } = this.options.limits;
    // History lives in the bus: a resume waits for it to be open (a Redis bus connecting, say).
    this.ready().then(() => catchUp(connection, lastEventId, {
      bus: this.bus,
      optIn: this.options.optIn,
      highWaterBytes: maxBufferedBytes / 2,
      compactor: this.#compactor,
      dispatchedThrough: () => this.#dispatchedThrough,
      goLive: (sentThrough) => this.#goLive(connection, sentThrough),
      resumed: (reason) => this.#metrics.resumed(reason),
    })).catch((error) => {
      this.options.logger.error("[eventwire] resume failed; closing the connection so it retries", error);
      connection.close("shutdown");
    });
  }

  #goLive(connection: Connection, sentThrough: string | undefined): void {
    connection.goLive(sentThrough);
    this.#index.add(connection);
  }

  /** Routes one event to its receivers, found through the index on their limits. */
  #dispatch(event: BusEvent): void {
    this.#dispatchedThrough = event.id;
    this.#metrics.arrived(event.publishedAt);
    const frame = new Frame(event);
    const optIn = this.options.optIn.has(event.name);
    this.#index.forCandidates(frame, (connection) => connection.deliver(frame, optIn));
  }

  #publishFromSource(event: unknown): Promise<void> {
    try {
      return this.publish(event as { event: string }).then(
        () => undefined,
        (error) => this.options.logger.error("[eventwire] a source's event was not published", error),
      );
    } catch (error) {
      this.options.logger.error("[eventwire] a source emitted an event that cannot be published", error);
      return Promise.resolve();
    }
  }
}

/** Creates a hub (docs/protocol.md#events-and-publishing); the names of `options.scopes` become the scopes its grants and streams may name. */
export function createHub<K extends string = never>(options: HubOptions<K> = {}): Hub<K> {
  return new Hub<K>(options);
}

/**
 * Connections one turn of the heartbeat sweep pings or keeps alive. Each is a socket write (10-15 µs
 * here), and each ping makes its client answer: a hub of 16,000 streams swept in one turn stalled
 * every delivery for half a second, and its clients' pong storm after it, the p99 of a
 * 50,000-connection run (bench/BENCHMARKS.md). Batches spread over the first half of the interval
 * make a sweep many short turns, and a connection is still pinged once per `heartbeatMs`.
 */
export const heartbeatBatch = 256;

/** Heartbeats `connections` (a snapshot), `heartbeatBatch` per turn, the batches spread over half of `intervalMs`. */
function sweepHeartbeats(connections: readonly Connection[], intervalMs: number, from = 0): void {
  const end = Math.min(from + heartbeatBatch, connections.length);
  for (let i = from; i < end; i++) {
    const connection = connections[i]!;
    if (!connection.closed) connection.heartbeat();
  }
  if (end >= connections.length) return;
  const spacingMs = Math.floor(intervalMs / 2 / Math.ceil(connections.length / heartbeatBatch));
  setTimeout(sweepHeartbeats, spacingMs, connections, intervalMs, end);
}

/** A socket's 'error' listener that ends it (called with the socket as `this`). */
function destroySocket(this: Duplex): void {
  this.destroy();
}

import { createHub, type Bus, type Hub, type HubOptions, type Logger } from "@eventwire/core";
import { ClientScope } from "./client-scope.js";
import type { ServedHub } from "./served-hub.js";

/** What an adapter's test starts: a real server of its framework serving `hub`. */
export interface StartedServer {
  /** The full http URL of the events path, e.g. `http://127.0.0.1:4123/events`. */
  url: string;
  /** Stops the server (the suite closes the hub first). */
  close(): Promise<void>;
}

/** Starts a server of the adapter's framework that serves `hub` at some path. */
export type ServerFactory = (hub: Hub) => Promise<StartedServer>;

/**
 * Makes hubs and their servers elsewhere: in a process of another runtime (remote/runtime-process.ts).
 * `options` are the case's hub options, `logger` where the hub's logs must end up.
 */
export interface HubHost {
  open(options: HubOptions, logger: Logger): Promise<StartedServer & { hub: ServedHub }>;
}

/**
 * What the server under test can do, where a runtime differs (capabilities, not skips): the suite
 * runs the cases for what it declares.
 */
export interface Capabilities {
  /**
   * How a WebSocket peer that stops answering is dropped. `"hub-pings"` (default): the hub's
   * protocol pings every `heartbeatMs`. `{ runtimeIdleMs }`: the runtime's own keepalive (Bun, Deno),
   * which drops a silent peer within about that long when `heartbeatMs` is 1,000.
   */
  liveness?: "hub-pings" | { runtimeIdleMs: number };
  /**
   * Whether replies to actions come in the order of the requests when handlers answer at once.
   * Default true; false where action handlers run in the test process while the hub runs in another
   * (runConformanceInProcess): every reply then comes when its handler's answer is back.
   */
  repliesInRequestOrder?: boolean;
  /**
   * The close code a client sees after sending invalid UTF-8 in a text frame. Default 1007 (the
   * runtime's WebSocket fails the connection with it); 1006 where it drops the connection without a
   * close frame (Deno).
   */
  invalidUtf8Close?: 1007 | 1006;
  /**
   * Whether the runtime's WebSocket refuses a message over `limits.maxMessageBytes` on its header,
   * before buffering its payload. Default true (`ws` given `hub.wsServerOptions`, Bun given
   * `maxPayloadLength`); false where the WebSocket takes no size limit (Deno): the message is then
   * buffered whole before the hub closes with 1009.
   */
  messageLimitOnHeader?: boolean;
  /**
   * How the framework routes request targets near the stream's path (cases/request-heads.ts), where
   * it differs from the bare node:http server's: there only the exact path is the stream, and any
   * other target, however encoded, gets 404. Per kind of target: `"stream"` (served as the stream),
   * the framework's status, or `"unanswered"` (left without an answer), for both transports or one each.
   */
  routing?: Partial<Record<TargetKind, TargetAnswer | { sse: TargetAnswer; websocket: TargetAnswer }>>;
  /**
   * How the runtime's WebSocket answers a handshake of each {@link HandshakeKind} on the stream's path
   * (cases/request-heads.ts), where it differs from `ws`'s (400 for each fault, the stream for
   * `Upgrade: WebSocket`): Bun answers a version it does
   * not speak with 426 (RFC 6455, 4.4); a runtime that does not parse the subprotocol list, or checks
   * only that a key is there, completes the handshake (101); one that takes `Upgrade: h2c` for no
   * upgrade at all serves the request as SSE (`"stream"`).
   */
  handshakes?: Partial<Record<HandshakeKind, TargetAnswer>>;
  /**
   * The answer to request headers over 16 KB in all (cases/request-heads.ts). Default 431, Node's
   * `maxHeaderSize`; `"stream"` where the runtime's HTTP server takes more (Deno).
   */
  largeHeaders?: TargetAnswer;
}

/**
 * WebSocket handshakes whose answer differs between runtimes (cases/request-heads.ts): faulty ones,
 * which `ws` refuses with 400, and `Upgrade: WebSocket`, valid (the token is case-insensitive, RFC
 * 6455, 4.2.1) and served by `ws`, which hono/deno declines (it compares with `websocket` exactly).
 */
export type HandshakeKind =
  | "an unknown version"
  | "no version"
  | "no key"
  | "a key of the wrong length"
  | "the key twice"
  | "a malformed subprotocol list"
  | "an upgrade to h2c"
  | "Upgrade: WebSocket";

/**
 * Targets a router may take for the stream's path or not: `/events/`, `/%65vents`, `/events%zz`,
 * `/x/../events`; another path with a double slash (`/zz-a//b`); and `"elsewhere"`, any other path
 * (`/EVENTS`, `/eventsx`, `/zz-a/b`).
 */
export type TargetKind = "trailing slash" | "percent-encoded" | "undecodable" | "dot segments" | "double slash" | "elsewhere";
/** Served as the stream, answered with this status, or left unanswered (no status line within half a second). */
export type TargetAnswer = "stream" | "unanswered" | number;

export interface ConformanceOptions {
  /**
   * Makes the bus of each hub the suite creates (a Redis or NATS bus, say). Buses made with the same
   * `name` must share events and history, as processes on one stream do. Default: the in-memory bus.
   */
  bus?: (name: string) => Bus;
  /**
   * The transports the adapter serves, as a capability: `["sse"]` for one that cannot upgrade to
   * WebSocket (a Next.js App-router route). The suite then runs every SSE case, and in place of the
   * WebSocket cases asserts that a WebSocket handshake never opens. Default: both.
   */
  transports?: readonly Transport[];
  /**
   * The largest event the bus carries, in bytes of its JSON (NATS: the server's `max_payload`,
   * 1 MiB by default). The one-big-event case sizes its event to stay under it. Default: no limit
   * (the case sends 4 MiB, more than loopback's socket buffers take at once).
   */
  maxEventBytes?: number;
  capabilities?: Capabilities;
}

/** Records what the hub logs, so a test can say what it expected to see. */
export class RecordingLogger implements Logger {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  warn(message: string): void {
    this.warnings.push(message);
  }
  error(message: string): void {
    this.errors.push(message);
  }
}

/** A hub serving on a real server of the adapter under test. */
export interface Served {
  hub: ServedHub;
  logger: RecordingLogger;
  /** The events URL with a query (`"session=CA_1"`), over http. */
  sseUrl(query?: string): string;
  /** The same URL over ws. */
  wsUrl(query?: string): string;
}

/** Starts hubs, servers and clients for one test and closes all of them after it, clients first. */
export class Harness extends ClientScope {
  #busNames = 0;

  constructor(
    private readonly factory: ServerFactory | HubHost,
    private readonly options: ConformanceOptions,
  ) {
    super();
  }

  /**
   * A hub with `options` (authorize defaults to `true` here) served by the adapter. Hubs given the
   * same `busName` share a bus when the suite runs on a shared one.
   */
  async serve(options: HubOptions = {}, busName?: string): Promise<Served> {
    const logger = new RecordingLogger();
    const name = busName ?? `conformance-${process.pid}-${Date.now().toString(36)}-${this.#busNames++}`;
    const { hub, ...server } = await this.#start({ authorize: true, logger, ...options }, name);
    // Closed in reverse: clients, then the hub (connections end gracefully), then the server.
    this.defer(() => server.close());
    this.defer(() => hub.close());
    const withQuery = (base: string, query?: string) => (query ? `${base}${base.includes("?") ? "&" : "?"}${query}` : base);
    return {
      hub,
      logger,
      sseUrl: (query) => withQuery(server.url, query),
      wsUrl: (query) => withQuery(server.url.replace(/^http/, "ws"), query),
    };
  }

  /** The largest event the bus carries; see {@link ConformanceOptions.maxEventBytes}. */
  get maxEventBytes(): number {
    return this.options.maxEventBytes ?? Infinity;
  }

  /** What the server under test declares it can do. */
  get capabilities(): Capabilities {
    return this.options.capabilities ?? {};
  }

  async #start(options: HubOptions, busName: string): Promise<StartedServer & { hub: ServedHub }> {
    const factory = this.factory;
    if (typeof factory !== "function") return factory.open(options, options.logger!);
    const bus = this.options.bus?.(busName);
    const hub = createHub({ ...options, ...(bus ? { bus } : {}) });
    await hub.ready();
    const server = await factory(hub).catch(async (error: unknown) => {
      await hub.close();
      throw error;
    });
    return { hub, ...server };
  }

  /** Whether hubs share history through the bus (Redis, NATS) rather than each keeping its own. */
  get sharedBus(): boolean {
    return this.options.bus !== undefined;
  }
}

/** Publishes each event in order; resolves to their ids. */
export async function publishAll(hub: ServedHub, events: { event: string; [field: string]: unknown }[]): Promise<string[]> {
  const ids: string[] = [];
  for (const event of events) ids.push(await hub.publish(event));
  return ids;
}

/** The published events as a client must receive them: each with its id. */
export function withIds<T extends object>(events: T[], ids: string[]): (T & { id: string })[] {
  return events.map((event, index) => ({ ...event, id: ids[index]! }));
}

export type Transport = "sse" | "websocket";
export const transports: readonly Transport[] = ["sse", "websocket"];

/** What both transports' clients offer the cases that run on each. */
export interface StreamClient {
  /** Every message's JSON, control messages included, in order. */
  readonly messages: Record<string, unknown>[];
  /** Messages with an id, in order. */
  readonly events: Record<string, unknown>[];
  waitForEvents(count: number, timeoutMs?: number): Promise<void>;
  waitForMessages(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Opens an admitted stream on either transport; SSE must answer 200. */
export async function openStream(harness: Harness, transport: Transport, served: Served, query?: string, headers?: Record<string, string>): Promise<StreamClient> {
  if (transport === "websocket") return harness.ws(served.wsUrl(query), { headers });
  const client = await harness.sse(served.sseUrl(query), headers);
  if (client.status !== 200) {
    await client.waitForEnd();
    throw new Error(`SSE ${served.sseUrl(query)} answered ${client.status}: ${client.body}`);
  }
  return client;
}

/** How a refused stream ended: the SSE status and body, or the WebSocket's close code or handshake status. */
export async function refusal(harness: Harness, transport: Transport, served: Served, query?: string, headers?: Record<string, string>): Promise<{ status?: number; close?: number; body?: unknown; retryAfter?: string }> {
  if (transport === "sse") {
    const client = await harness.sse(served.sseUrl(query), headers);
    await client.waitForEnd();
    const retryAfter = client.headers["retry-after"];
    return { status: client.status, body: client.status === 200 ? undefined : JSON.parse(client.body), ...(retryAfter ? { retryAfter } : {}) };
  }
  const client = harness.wsRaw(served.wsUrl(query), { headers });
  if (await client.opened) await client.waitForClose();
  return client.refusedStatus !== undefined ? { status: client.refusedStatus } : { close: client.closeCode! };
}

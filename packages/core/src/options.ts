import type { Bus, HistoryLimits } from "./bus/bus.js";
import type { Authorize } from "./authorize.js";
import { checkCompact, type CompactOptions } from "./compaction.js";
import type { MeterLike } from "./metrics.js";
import { resolveScopes, type ScopeMap } from "./scopes.js";

/** Bounds on what one connection and the whole hub may cost (docs/protocol.md#load-and-bad-input). */
export interface Limits {
  /** Connections served at once; past it, SSE answers 503 and WebSocket closes 1013. Default 10,000. */
  maxConnections: number;
  /** Unsent bytes one connection may hold before it is closed as a slow reader (it resumes later). Default 1 MiB. */
  maxBufferedBytes: number;
  /** Largest client message accepted; larger ones close the WebSocket with 1009. Default 16,384. */
  maxMessageBytes: number;
  /** Client actions per second per connection; past it the answer is `rate_limited`. Default 20. */
  actionsPerSecond: number;
}

export interface Logger {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * The hub's options. `K` is the names of its declared `scopes`, inferred by `createHub`, so grants,
 * stream options and `hub.revoke` accept only those names.
 */
export interface HubOptions<K extends string = string> {
  /** The event field that names its session. Default `"sessionId"`. */
  sessionKey?: string;
  /**
   * More event fields that streams are routed and authorized by, beside the session: scope name →
   * event field, e.g. `{ tenant: "orgId", agent: "agent" }`. A grant may limit any of them
   * (`{ scopes: { tenant: ["acme"] } }`) and a query narrows within it (`?agent=pines,julia`); see
   * the protocol document, "Sessions, scopes and authorization". A name may not be one of the query's
   * own keys (`session`, `events`, `include`, `lastEventId`). Default: none.
   */
  scopes?: ScopeMap<K>;
  /** Event names sent only to connections that ask for them with `include`. Default `[]`. */
  optIn?: readonly string[];
  /** How much history is kept for resume (docs/protocol.md#resume). Default `{ maxEvents: 10_000, maxAgeMs: 300_000 }`. */
  history?: Partial<HistoryLimits>;
  /**
   * Who may connect and what they may see (docs/protocol.md#sessions-scopes-and-authorization). `false`: nobody; `true`: everybody sees
   * everything; a function gets the request and answers one of those or a {@link Grant}
   * (`{ sessions?, scopes?, subject?, principal?, expiresAt? }`). A grant naming a scope that is not
   * declared is refused (500) and logged as a TypeError. Default: everybody sees everything, and the
   * hub warns once.
   */
  authorize?: Authorize<NoInfer<K>> | boolean;
  /** Origins allowed to connect (exact `Origin` values). Default: any. */
  allowedOrigins?: readonly string[];
  /**
   * Give every SSE event an `event:` line with its name, so that a browser's `EventSource` can
   * `addEventListener("bot.word", ...)`. The trade-off: `onmessage` then no longer sees those events
   * (it only sees messages without an `event:` line), so code reading every event with `onmessage`
   * must not turn it on. A connection can ask for it, or refuse it, with `eventLines=1` / `eventLines=0`
   * in its query. WebSocket frames are unchanged. Default `false` (docs/protocol.md#wire-protocol, "Event lines").
   */
  eventLines?: boolean;
  /** Interval of SSE `: keepalive` comments and WebSocket pings; a peer silent for one interval is dropped. Default 15,000. */
  heartbeatMs?: number;
  /** Base of the SSE `retry:` hint; each stream gets a jittered value between it and twice it. Default 1,000. */
  retryMs?: number;
  /**
   * Connections `hub.close()` closes per second (docs/protocol.md#shutdown), oldest first, in batches every 10 ms, so
   * that clients come back spread out instead of all at once (a restart storm). A hub with fewer
   * connections than a batch (a hundredth of this) closes them at once; `Infinity` closes all at
   * once. Default 2,000: 10,000 connections close over 5 s.
   */
  closeRate?: number;
  limits?: Partial<Limits>;
  /**
   * How long one stream may live, in ms; `0` (the default): until it is closed. Otherwise each
   * stream ends after about this long, cut by up to 10% at random so streams opened together do
   * not end together, and never later: a WebSocket closes with 1012, an SSE stream ends with a
   * `: reconnect` comment, and `@eventwire/client` reconnects at once and resumes from its last id.
   * For serverless platforms that end a response after a few minutes: set it below that limit and
   * share a bus (docs/protocol.md#runtimes-and-platforms). At most 2,147,483,647 (a timer's range).
   */
  maxStreamMs?: number;
  /** Where events go and history lives. Default: the in-memory bus (one process). */
  bus?: Bus;
  /**
   * Replay compaction, for token streams (docs/protocol.md#resume, "Replay compaction"): event name
   * → merge function, e.g. `{ "bot.word": (words) => ({ ...words.at(-1)!, word: words.map((w) => w.word).join(" ") }) }`.
   * During a replay only (a resume or `earliest`), never live, a run of two or more consecutive
   * events the connection is sent with that name and the same session is sent as one event:
   * `merge(run)` gets the run's events as published, each with its `id`, and returns the merged
   * event; the hub gives it the id of the run's last event and sends it in that event's place, so a
   * resume from it continues exactly where the run ended. Any other event the connection is sent
   * ends a run. A merge that throws, or returns what cannot be published, is logged and the run is
   * sent as it was. Default: none.
   */
  compact?: CompactOptions;
  /**
   * An OpenTelemetry `Meter` (`metrics.getMeter("eventwire")` from `@opentelemetry/api`) to report
   * connections, events, slow readers, resumes, refusals and `authorize` latency to. Default: none,
   * and no metrics work is done (docs/protocol.md#events-and-publishing, "Metrics").
   */
  meter?: MeterLike;
  /** Where the hub reports warnings and failures it recovers from. Default: `console`. */
  logger?: Logger;
}

export interface ResolvedOptions {
  sessionKey: string;
  /** Declared scopes: name → event field. */
  scopes: ReadonlyMap<string, string>;
  optIn: ReadonlySet<string>;
  history: HistoryLimits;
  authorize: Authorize | boolean;
  allowedOrigins: ReadonlySet<string> | undefined;
  eventLines: boolean;
  heartbeatMs: number;
  retryMs: number;
  closeRate: number;
  maxStreamMs: number;
  compact: CompactOptions;
  limits: Limits;
  logger: Logger;
}

export const defaultLimits: Limits = {
  maxConnections: 10_000,
  maxBufferedBytes: 1 << 20,
  maxMessageBytes: 16_384,
  actionsPerSecond: 20,
};

/** The longest delay a timer takes; a longer one fires at once. */
const maxTimerMs = 2 ** 31 - 1;

export function resolveOptions(options: HubOptions<string>): ResolvedOptions {
  const limits = { ...defaultLimits, ...options.limits };
  for (const [name, value] of Object.entries(limits)) positive(`limits.${name}`, value);
  const history = { maxEvents: 10_000, maxAgeMs: 300_000, ...options.history };
  positive("history.maxEvents", history.maxEvents);
  positive("history.maxAgeMs", history.maxAgeMs);
  const heartbeatMs = positive("heartbeatMs", options.heartbeatMs ?? 15_000);
  const retryMs = positive("retryMs", options.retryMs ?? 1_000);
  const closeRate = positive("closeRate", options.closeRate ?? 2_000);
  const maxStreamMs = options.maxStreamMs ?? 0;
  if (typeof maxStreamMs !== "number" || !(maxStreamMs >= 0 && maxStreamMs <= maxTimerMs)) {
    throw new TypeError(`createHub: maxStreamMs must be 0 (streams live until closed) or a number of ms up to ${maxTimerMs}, got ${String(maxStreamMs)}`);
  }
  const sessionKey = options.sessionKey ?? "sessionId";
  if (typeof sessionKey !== "string" || sessionKey === "" || sessionKey === "id" || sessionKey === "event") {
    throw new TypeError(`createHub: sessionKey must be a field name other than "id" and "event", got ${JSON.stringify(sessionKey)}`);
  }
  const authorize = options.authorize ?? true;
  if (typeof authorize !== "boolean" && typeof authorize !== "function") {
    throw new TypeError("createHub: authorize must be true, false or a function (request) => boolean | grant");
  }
  return {
    sessionKey,
    scopes: resolveScopes(options.scopes),
    optIn: new Set(options.optIn ?? []),
    history,
    authorize,
    allowedOrigins: options.allowedOrigins ? new Set(options.allowedOrigins) : undefined,
    eventLines: options.eventLines === true,
    heartbeatMs,
    retryMs,
    closeRate,
    maxStreamMs,
    compact: checkCompact(options.compact),
    limits,
    logger: options.logger ?? console,
  };
}

function positive(name: string, value: unknown): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw new TypeError(`createHub: ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

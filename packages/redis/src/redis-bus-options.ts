import type { Redis, RedisOptions } from "ioredis";

/** Options of {@link redisBus}. Every option is optional. */
export interface RedisBusOptions {
  /**
   * The Redis server the bus connects to (`redis://[[user]:password@]host:port[/db]`, or
   * `rediss://` for TLS). Ignored when `client` is given.
   * @default "redis://127.0.0.1:6379"
   */
  url?: string;
  /**
   * An ioredis client to publish and read history with, instead of one the bus creates from
   * `url`. The bus never quits it (you own it); its blocking reader is a `client.duplicate()`,
   * which the bus does close. Give it `enableOfflineQueue: false` (or a `commandTimeout`) so a
   * publish fails fast while Redis is down: the bus rejects at once when the client is not
   * ready, but a command already queued waits as long as the client lets it.
   * @default undefined (the bus creates its own connection)
   */
  client?: Redis;
  /**
   * The key of the Redis stream that carries the events and keeps their history. Every process
   * that should share events uses the same key. The epoch of its history (the first part of every
   * id) is kept beside it, in `<stream>:epoch`.
   * @default "eventwire"
   */
  stream?: string;
  /**
   * Extra ioredis options for the connections the bus creates (`password`, `tls`, `db`,
   * `retryStrategy`...). The bus's own settings for fail-fast publishing win over these.
   * @default {}
   */
  redisOptions?: RedisOptions;
  /**
   * How long `open()` waits for Redis before it rejects.
   * @default 10_000
   */
  connectTimeoutMs?: number;
  /**
   * How long a publish or a history read may wait for Redis's answer before it rejects (on the
   * connection the bus creates).
   * @default 5_000
   */
  commandTimeoutMs?: number;
  /**
   * How long one blocking `XREAD` waits for new entries before it is issued again. The reader
   * connection counts as dead (and reconnects) when Redis stays silent 5 s longer than this. It
   * also bounds how late the reader sees a history that started over (a flushed database) when
   * nothing is published after its first entries.
   * @default 5_000
   */
  blockMs?: number;
  /**
   * The most entries one `XREAD` returns (a backlog after a reconnect arrives in batches).
   * @default 512
   */
  readBatch?: number;
  /**
   * How the stream is trimmed to the hub's `history.maxEvents`: `"approximate"` (`MAXLEN ~`,
   * Redis drops whole radix-tree nodes, so the stream keeps up to ~100 extra entries, which
   * is cheapest) or `"exact"` (`MAXLEN =`).
   * @default "approximate"
   */
  trim?: "approximate" | "exact";
  /**
   * How often (at most) the bus trims entries older than the hub's `history.maxAgeMs`
   * (`XTRIM MINID`, measured on Redis's clock). Trimming runs after a publish, so a quiet
   * stream keeps its old entries a little longer, never less long.
   * @default 1_000
   */
  ageTrimIntervalMs?: number;
}

/** The options with their defaults applied. */
export interface ResolvedRedisBusOptions {
  readonly url: string;
  readonly client: Redis | undefined;
  readonly stream: string;
  readonly redisOptions: RedisOptions;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly blockMs: number;
  readonly readBatch: number;
  readonly trim: "approximate" | "exact";
  readonly ageTrimIntervalMs: number;
}

export function resolveRedisBusOptions(options: RedisBusOptions = {}): ResolvedRedisBusOptions {
  const stream = options.stream ?? "eventwire";
  if (typeof stream !== "string" || stream === "") {
    throw new TypeError("@eventwire/redis: `stream` must be a non-empty string");
  }
  const trim = options.trim ?? "approximate";
  if (trim !== "approximate" && trim !== "exact") {
    throw new TypeError('@eventwire/redis: `trim` must be "approximate" or "exact"');
  }
  return {
    url: options.url ?? "redis://127.0.0.1:6379",
    client: options.client,
    stream,
    redisOptions: options.redisOptions ?? {},
    connectTimeoutMs: positive("connectTimeoutMs", options.connectTimeoutMs, 10_000),
    commandTimeoutMs: positive("commandTimeoutMs", options.commandTimeoutMs, 5_000),
    blockMs: positive("blockMs", options.blockMs, 5_000),
    readBatch: positive("readBatch", options.readBatch, 512),
    trim,
    ageTrimIntervalMs: positive("ageTrimIntervalMs", options.ageTrimIntervalMs, 1_000),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`@eventwire/redis: \`${name}\` must be a positive number, got ${String(value)}`);
  }
  return Math.floor(value);
}

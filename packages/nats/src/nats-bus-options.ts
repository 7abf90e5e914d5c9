import type { NatsConnection, NodeConnectionOptions } from "@nats-io/transport-node";

/** Options of {@link natsBus}. Every option is optional. */
export interface NatsBusOptions {
  /**
   * The NATS server(s) the bus connects to (`host:port`, or a list). Ignored when `connection`
   * is given.
   * @default "127.0.0.1:4222"
   */
  servers?: string | string[];
  /**
   * A NATS connection to use instead of one the bus opens. The bus never closes it (you own
   * it). Give it `maxReconnectAttempts: -1`, or it stops reconnecting after 10 attempts.
   * @default undefined (the bus opens its own connection)
   */
  connection?: NatsConnection;
  /**
   * The JetStream stream that carries the events and keeps their history. The bus creates it
   * when it is missing, and raises its limits when they are below the hub's `history`.
   * Every process that should share events uses the same stream.
   * @default "eventwire"
   */
  stream?: string;
  /**
   * The subject events are published on; the stream is created to listen on it.
   * @default `${stream}.events`
   */
  subject?: string;
  /**
   * Extra options for the connection the bus opens (`user`, `pass`, `token`, `tls`, `name`...).
   * @default {} (plus `maxReconnectAttempts: -1`, so the bus reconnects for ever, unless set here)
   */
  connectionOptions?: Partial<NodeConnectionOptions>;
  /**
   * Where the server keeps the stream when the bus creates it: `"file"` survives a server
   * restart, `"memory"` does not (ids from before a restart then resume with a gap).
   * @default "file"
   */
  storage?: "file" | "memory";
  /**
   * How many servers of a cluster keep the stream when the bus creates it.
   * @default 1
   */
  replicas?: number;
  /**
   * How long `open()` keeps trying to reach NATS before it rejects.
   * @default 10_000
   */
  connectTimeoutMs?: number;
  /**
   * How long a publish waits for JetStream's acknowledgement, and a history read for its
   * answer, before it rejects.
   * @default 5_000
   */
  requestTimeoutMs?: number;
}

export interface ResolvedNatsBusOptions {
  readonly servers: string | string[];
  readonly connection: NatsConnection | undefined;
  readonly stream: string;
  readonly subject: string;
  readonly connectionOptions: Partial<NodeConnectionOptions>;
  readonly storage: "file" | "memory";
  readonly replicas: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

const STREAM_NAME = /^[^\s.*>/\\]+$/;

export function resolveNatsBusOptions(options: NatsBusOptions = {}): ResolvedNatsBusOptions {
  const stream = options.stream ?? "eventwire";
  if (typeof stream !== "string" || !STREAM_NAME.test(stream)) {
    throw new TypeError(
      `@eventwire/nats: \`stream\` must be a non-empty name without spaces, ".", "*", ">", "/" or "\\", got ${JSON.stringify(stream)}`,
    );
  }
  const subject = options.subject ?? `${stream}.events`;
  if (typeof subject !== "string" || subject === "" || /\s|[*>]/.test(subject)) {
    throw new TypeError(`@eventwire/nats: \`subject\` must be a subject without spaces or wildcards, got ${JSON.stringify(subject)}`);
  }
  const storage = options.storage ?? "file";
  if (storage !== "file" && storage !== "memory") throw new TypeError('@eventwire/nats: `storage` must be "file" or "memory"');
  return {
    servers: options.servers ?? "127.0.0.1:4222",
    connection: options.connection,
    stream,
    subject,
    connectionOptions: options.connectionOptions ?? {},
    storage,
    replicas: positive("replicas", options.replicas, 1),
    connectTimeoutMs: positive("connectTimeoutMs", options.connectTimeoutMs, 10_000),
    requestTimeoutMs: positive("requestTimeoutMs", options.requestTimeoutMs, 5_000),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`@eventwire/nats: \`${name}\` must be a positive number, got ${String(value)}`);
  }
  return Math.floor(value);
}

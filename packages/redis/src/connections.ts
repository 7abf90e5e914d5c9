import { Redis, type RedisOptions } from "ioredis";
import type { ResolvedRedisBusOptions } from "./redis-bus-options.js";

/**
 * The two connections of a bus: one for publishing and history reads (auto-pipelined, failing
 * fast), and one that does nothing but the blocking XREAD (a blocked connection cannot serve
 * other commands).
 */
export interface Connections {
  readonly client: Redis;
  readonly reader: Redis;
  /** True when `client` was created by the bus (and is the bus's to quit). */
  readonly ownsClient: boolean;
  /** Where the connections go, for error messages (no password). */
  readonly where: string;
}

export function createConnections(options: ResolvedRedisBusOptions): Connections {
  // The reader waits out outages: its one command is resent after a reconnect, and a silent
  // (half-open) connection is dropped once Redis has been quiet well past the BLOCK time.
  const readerSettings: RedisOptions = {
    lazyConnect: true,
    enableAutoPipelining: false,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    maxRetriesPerRequest: null,
    commandTimeout: undefined,
    socketTimeout: options.blockMs + 5_000,
  };
  if (options.client) {
    const client = options.client;
    const name = client.options.connectionName;
    return {
      client,
      reader: client.duplicate({ ...readerSettings, connectionName: `${name ?? "eventwire"}-reader` }),
      ownsClient: false,
      where: `${client.options.host ?? "127.0.0.1"}:${client.options.port ?? 6379}`,
    };
  }
  const base: RedisOptions = { connectionName: "eventwire", ...options.redisOptions };
  const client = new Redis(options.url, {
    ...base,
    lazyConnect: true,
    // Publishing never waits for a connection that is not there: no offline queue, no retry of
    // a command that was in flight when the connection dropped (it may have been applied).
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
  });
  const reader = new Redis(options.url, {
    ...base,
    ...readerSettings,
    connectionName: `${base.connectionName ?? "eventwire"}-reader`,
  });
  return { client, reader, ownsClient: true, where: redactUrl(options.url) };
}

/** Resolves when `client` is ready; rejects after `timeoutMs`, or when it gives up reconnecting. */
export function whenReady(client: Redis, timeoutMs: number, where: string): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("error", onError);
      client.off("end", onEnd);
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      lastError = error;
    };
    const fail = (reason: string): void => {
      cleanup();
      const detail = lastError ? `: ${lastError.message}` : "";
      reject(new Error(`@eventwire/redis: cannot reach Redis at ${where} (${reason})${detail}`, { cause: lastError }));
    };
    const onEnd = (): void => fail("the connection ended");
    const timer = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs);
    client.on("ready", onReady);
    client.on("error", onError);
    client.on("end", onEnd);
    if (client.status === "wait") client.connect().catch(() => undefined);
  });
}

/** Ends a connection the bus owns: QUIT when it is up (pending replies still arrive), else drop it. */
export async function endConnection(client: Redis): Promise<void> {
  if (client.status === "end") return;
  if (client.status === "ready") {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to disconnect
    }
  }
  client.disconnect();
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

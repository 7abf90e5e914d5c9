import type { Redis } from "ioredis";
import type { Bus, BusContext, BusEvent, BusReadResult, BusRecord, HistoryLimits } from "@eventwire/core";
import { createConnections, endConnection, whenReady, type Connections } from "./connections.js";
import { ControlChannel } from "./control-channel.js";
import { resolveRedisBusOptions, type RedisBusOptions, type ResolvedRedisBusOptions } from "./redis-bus-options.js";
import { entryEvent, isNoSuchKey, parseStreamInfo, recordFields, type StreamEntry } from "./stream-entry.js";
import { compareStreamIds, isStreamId, streamIdTime } from "./stream-id.js";
import { StreamReader } from "./stream-reader.js";

type State = "new" | "opening" | "open" | "closed";

/** The cursor of a stream that has issued no id yet (Redis's own id for "before the first entry"). */
const EMPTY_CURSOR = "0-0";

/**
 * A bus on one Redis stream. Publishing is an `XADD` (the entry id is the event id, trimmed to
 * the hub's history); every process runs one blocking `XREAD` loop and hands each entry to its
 * hub; a resume reads the range after the client's id. Control messages (revocations) go over
 * Pub/Sub, on a connection of their own (see control-channel.ts).
 */
export class RedisBus implements Bus {
  /** The stream key. */
  readonly stream: string;
  #options: ResolvedRedisBusOptions;
  #state: State = "new";
  #connections: Connections | undefined;
  #reader: StreamReader | undefined;
  #control: ControlChannel | undefined;
  #context: BusContext | undefined;
  #history: HistoryLimits = { maxEvents: Infinity, maxAgeMs: Infinity };
  #xaddPrefix: (string | number)[] = [];
  #lastAgeTrim = 0;

  constructor(options: RedisBusOptions = {}) {
    this.#options = resolveRedisBusOptions(options);
    this.stream = this.#options.stream;
  }

  async open(context: BusContext): Promise<void> {
    if (this.#state !== "new") throw new Error(`@eventwire/redis: open() was already called (the bus is ${this.#state})`);
    this.#state = "opening";
    this.#context = context;
    this.#history = context.history;
    this.#xaddPrefix = this.#trimArguments();
    const connections = createConnections(this.#options);
    this.#connections = connections;
    if (connections.ownsClient) this.#watch(connections.client, "publishing");
    this.#watch(connections.reader, "reading");
    const control = new ControlChannel(this.#options, (message) => this.#context?.onControl?.(message));
    this.#control = control;
    this.#watch(control.subscriber, "control");
    try {
      const { connectTimeoutMs } = this.#options;
      await Promise.all([
        whenReady(connections.client, connectTimeoutMs, connections.where),
        whenReady(connections.reader, connectTimeoutMs, connections.where),
        whenReady(control.subscriber, connectTimeoutMs, connections.where).then(() => control.subscribe()),
      ]);
      // Start after the stream's current last id (not `$`): everything published once open()
      // has resolved gets a later id, so this process's hub sees it, however the XREAD races it.
      const afterId = await this.#lastGeneratedId(connections.client);
      if (this.#state !== "opening") throw new Error("@eventwire/redis: the bus was closed while opening");
      this.#reader = new StreamReader({
        connection: connections.reader,
        stream: this.stream,
        afterId,
        blockMs: this.#options.blockMs,
        batch: this.#options.readBatch,
        onEvent: (event) => this.#context?.onEvent(event),
        onError: (error) => this.#context?.onError(error),
      });
      this.#reader.start();
      this.#state = "open";
    } catch (error) {
      await this.#release();
      if (this.#state === "opening") this.#state = "new";
      throw error;
    }
  }

  publish(record: BusRecord): Promise<string> {
    const client = this.#connections?.client;
    if (this.#state !== "open" || !client) return Promise.reject(this.#notOpen("publish"));
    if (client.status !== "ready") return Promise.reject(this.#failure(`cannot publish "${record.name}"`, undefined));
    const fields = recordFields(record);
    return client.xadd(this.stream, ...this.#xaddPrefix, "*", ...fields).then(
      (id) => {
        if (id === null) throw new Error("@eventwire/redis: XADD returned no id");
        this.#trimByAge(client, id);
        return id;
      },
      (error: Error) => {
        throw this.#failure(`cannot publish "${record.name}"`, error);
      },
    );
  }

  publishControl(message: string): Promise<void> {
    const client = this.#connections?.client;
    const control = this.#control;
    if (this.#state !== "open" || !client || !control) return Promise.reject(this.#notOpen("publish a control message"));
    if (client.status !== "ready") return Promise.reject(this.#failure("cannot publish a control message", undefined));
    return control.publish(client, message).catch((error: Error) => {
      throw this.#failure("cannot publish a control message", error);
    });
  }

  async read(afterId: string | undefined, limit: number): Promise<BusReadResult> {
    const client = this.#connections?.client;
    if (this.#state !== "open" || !client) throw this.#notOpen("read");
    if (client.status !== "ready") throw this.#failure("cannot read history", undefined);
    const count = Math.max(1, Math.floor(limit));
    const take = Math.max(0, Math.floor(limit));
    try {
      if (afterId === undefined) return { events: this.#events(await this.#oldest(client, count), take) };
      if (!isStreamId(afterId) && afterId !== EMPTY_CURSOR) return { events: this.#events(await this.#oldest(client, count), take), gap: "unknown" };
      // The entry itself (inclusive start) tells whether the id is known; XINFO tells what was
      // trimmed. One transaction, so both describe the same moment.
      const replies = await client
        .multi()
        .xinfo("STREAM", this.stream)
        .xrange(this.stream, afterId, "+", "COUNT", count + 1)
        .exec();
      const [infoReply, rangeReply] = replies ?? [];
      if (!infoReply || !rangeReply) throw new Error("the transaction was discarded");
      if (infoReply[0]) {
        // No stream: nothing was ever published (the empty stream's cursor), or its history is gone.
        if (isNoSuchKey(infoReply[0])) return afterId === EMPTY_CURSOR ? { events: [] } : { events: [], gap: "reset" };
        throw infoReply[0];
      }
      if (rangeReply[0]) throw rangeReply[0];
      const info = parseStreamInfo(infoReply[1]);
      const entries = rangeReply[1] as StreamEntry[];
      // The cursor of a stream that had issued nothing: exact while nothing was removed since.
      if (afterId === EMPTY_CURSOR && info.complete) return { events: this.#events(entries, take) };
      // The newest id issued (a cursor): nothing after it, even when its entry was trimmed.
      if (afterId === info.lastGeneratedId) return { events: [] };
      // Trimming only ever removes the oldest entries, so when the entry `afterId` is still in
      // the stream, so is everything after it, unless something newer was XDEL'd (Redis reports
      // the newest deleted id). An id that is not in the stream (trimmed, never issued, from a
      // deleted stream, or in the future) cannot be resumed exactly.
      const known = entries[0]?.[0] === afterId;
      if (known && compareStreamIds(afterId, info.maxDeletedId) >= 0) {
        return { events: this.#events(entries.slice(1), take) };
      }
      // Known but followed by a deletion, or older than the oldest entry: history is missing after it.
      const older = known || compareStreamIds(afterId, info.firstEntryId ?? info.lastGeneratedId) < 0;
      return { events: this.#events(await this.#oldest(client, count), take), gap: older ? "expired" : "unknown" };
    } catch (error) {
      throw this.#failure("cannot read history", error as Error);
    }
  }

  async cursor(): Promise<string> {
    const client = this.#connections?.client;
    if (this.#state !== "open" || !client) throw this.#notOpen("read the cursor");
    return this.#lastGeneratedId(client);
  }

  compareIds(a: string, b: string): number {
    return compareStreamIds(a, b);
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    await this.#release();
    this.#context = undefined;
  }

  /** The MAXLEN part of XADD, from the hub's `history.maxEvents`. */
  #trimArguments(): (string | number)[] {
    const { maxEvents } = this.#history;
    if (!Number.isFinite(maxEvents)) return [];
    return ["MAXLEN", this.#options.trim === "exact" ? "=" : "~", Math.max(0, Math.floor(maxEvents))];
  }

  /** Drops entries older than `history.maxAgeMs`, at most every `ageTrimIntervalMs`, on Redis's clock. */
  #trimByAge(client: Redis, newestId: string): void {
    const { maxAgeMs } = this.#history;
    if (!Number.isFinite(maxAgeMs)) return;
    const now = streamIdTime(newestId);
    if (now - this.#lastAgeTrim < Math.min(this.#options.ageTrimIntervalMs, maxAgeMs)) return;
    this.#lastAgeTrim = now;
    const minId = Math.max(0, now - Math.floor(maxAgeMs));
    client.xtrim(this.stream, "MINID", String(minId)).catch((error: Error) => {
      this.#context?.onError(new Error(`@eventwire/redis: trimming old entries failed: ${error.message}`, { cause: error }));
    });
  }

  async #oldest(client: Redis, count: number): Promise<StreamEntry[]> {
    return (await client.xrange(this.stream, "-", "+", "COUNT", count)) as StreamEntry[];
  }

  #events(entries: StreamEntry[], limit: number): BusEvent[] {
    const events: BusEvent[] = [];
    for (const entry of entries) {
      if (events.length >= limit) break;
      const event = entryEvent(entry);
      if (event) events.push(event);
    }
    return events;
  }

  async #lastGeneratedId(client: Redis): Promise<string> {
    try {
      return parseStreamInfo(await client.xinfo("STREAM", this.stream)).lastGeneratedId;
    } catch (error) {
      if (isNoSuchKey(error)) return EMPTY_CURSOR;
      throw new Error(`@eventwire/redis: cannot inspect stream "${this.stream}": ${(error as Error).message}`, { cause: error });
    }
  }

  /** Reports each outage of a connection to the hub once (not at every reconnect attempt). */
  #watch(connection: Redis, role: string): void {
    let lastError: Error | undefined;
    let reported = false;
    connection.on("error", (error: Error) => {
      lastError = error;
    });
    connection.on("close", () => {
      if (this.#state !== "open" || reported) return;
      reported = true;
      const detail = lastError ? `: ${lastError.message}` : "";
      this.#context?.onError(
        new Error(`@eventwire/redis: lost the ${role} connection to Redis at ${this.#connections?.where}, reconnecting${detail}`, {
          cause: lastError,
        }),
      );
    });
    connection.on("ready", () => {
      reported = false;
      lastError = undefined;
    });
  }

  async #release(): Promise<void> {
    const connections = this.#connections;
    const reader = this.#reader;
    this.#control?.close();
    this.#connections = undefined;
    this.#reader = undefined;
    this.#control = undefined;
    if (!connections) return;
    connections.reader.disconnect(); // cuts the pending XREAD short
    await reader?.stop();
    if (connections.ownsClient) await endConnection(connections.client);
  }

  /** A clear error for a command Redis did not take: unreachable, too slow, or refused. */
  #failure(what: string, cause: Error | undefined): Error {
    const connections = this.#connections;
    const where = connections?.where ?? "(closed)";
    const status = connections?.client.status ?? "end";
    const message = cause?.message ?? "";
    let reason: string;
    if (!cause || status !== "ready" || /writeable|Connection is closed|MaxRetriesPerRequest|max retries/i.test(message)) {
      reason = `is unreachable (connection ${status}${cause ? `: ${message}` : ""})`;
    } else if (/timed out/i.test(message)) {
      reason = `did not answer within ${this.#options.commandTimeoutMs} ms (${message})`;
    } else {
      reason = `refused it: ${message}`;
    }
    return new Error(`@eventwire/redis: ${what}: Redis at ${where} ${reason}`, cause ? { cause } : undefined);
  }

  #notOpen(what: string): Error {
    return new Error(`@eventwire/redis: cannot ${what}: the bus is ${this.#state === "closed" ? "closed" : "not open"}`);
  }
}

/**
 * A bus on Redis Streams, for hubs in several processes: `createHub({ bus: redisBus({ url }) })`
 * in each of them, and every event reaches every process once, in one order.
 */
export function redisBus(options: RedisBusOptions = {}): Bus {
  return new RedisBus(options);
}

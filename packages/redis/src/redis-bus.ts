import type { Redis } from "ioredis";
import type { Bus, BusContext, BusEvent, BusReadResult, BusRecord, HistoryLimits } from "@eventwire/core";
import { createConnections, endConnection, whenReady, type Connections } from "./connections.js";
import { ControlChannel } from "./control-channel.js";
import { cursorScript, epochKey, epochSuffix, publishScript } from "./epoch-scripts.js";
import { compareEpochs, compareEventIds, formatEventId, isEpoch, parseEventId } from "./event-id.js";
import { resolveRedisBusOptions, type RedisBusOptions, type ResolvedRedisBusOptions } from "./redis-bus-options.js";
import { isNoSuchKey, parseEntry, parseStreamInfo, recordFields, type StreamEntry, type StreamInfo } from "./stream-entry.js";
import { compareStreamIds, streamIdTime } from "./stream-id.js";
import { StreamReader } from "./stream-reader.js";

type State = "new" | "opening" | "open" | "closed";

/**
 * A bus on one Redis stream. Publishing is a script that `XADD`s under the stream's epoch (the
 * event id is the epoch and the entry id, see event-id.ts; trimmed to the hub's history); every
 * process runs one blocking `XREAD` loop and hands each entry to its hub; a resume reads the range
 * after the client's id. Control messages (revocations) go over Pub/Sub, on a connection of their
 * own (see control-channel.ts).
 */
export class RedisBus implements Bus {
  /** The stream key. */
  readonly stream: string;
  /** The key beside it that holds its epoch (`<stream>:epoch`). */
  readonly epochKey: string;
  #options: ResolvedRedisBusOptions;
  #state: State = "new";
  #connections: Connections | undefined;
  #reader: StreamReader | undefined;
  #control: ControlChannel | undefined;
  #context: BusContext | undefined;
  #history: HistoryLimits = { maxEvents: Infinity, maxAgeMs: Infinity };
  /** The trim arguments of the scripts (see epoch-scripts.ts), from the hub's `history.maxEvents`. */
  #trim: [mode: "" | "~" | "=", count: number] = ["", 0];
  #lastAgeTrim = 0;

  constructor(options: RedisBusOptions = {}) {
    this.#options = resolveRedisBusOptions(options);
    this.stream = this.#options.stream;
    this.epochKey = epochKey(this.stream);
  }

  async open(context: BusContext): Promise<void> {
    if (this.#state !== "new") throw new Error(`@eventwire/redis: open() was already called (the bus is ${this.#state})`);
    this.#state = "opening";
    this.#context = context;
    this.#history = context.history;
    this.#trim = this.#trimArguments();
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
      await this.#loadScripts(connections.client);
      connections.client.on("ready", this.#reloadScripts);
      // Start after the stream's current last id (not `$`): everything published once open()
      // has resolved gets a later id, so this process's hub sees it, however the XREAD races it.
      const { epoch, lastGeneratedId } = await this.#position(connections.client);
      if (this.#state !== "opening") throw new Error("@eventwire/redis: the bus was closed while opening");
      this.#reader = new StreamReader({
        connection: connections.reader,
        stream: this.stream,
        epochKey: this.epochKey,
        epoch,
        afterId: lastGeneratedId,
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
    const args = [epochSuffix(), ...this.#trim, ...recordFields(record)];
    return publishScript.run(client, [this.stream, this.epochKey], args).then(
      (reply) => {
        const [epoch, entryId] = reply as [string, string];
        this.#trimByAge(client, entryId);
        return formatEventId(epoch, entryId);
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
    const oldest = async (gap: BusReadResult["gap"]): Promise<BusReadResult> => {
      const events = this.#events(await this.#oldest(client, count), take);
      return gap === undefined ? { events } : { events, gap };
    };
    try {
      if (afterId === undefined) return await oldest(undefined);
      const id = parseEventId(afterId);
      if (!id) return await oldest("unknown"); // malformed, or an id of another bus
      // The epoch, what XINFO says of the stream and the entry itself (inclusive start) describe one
      // moment: one transaction.
      const replies = await client
        .multi()
        .get(this.epochKey)
        .xinfo("STREAM", this.stream)
        .xrange(this.stream, id.entryId, "+", "COUNT", count + 1)
        .exec();
      const [epochReply, infoReply, rangeReply] = replies ?? [];
      if (!epochReply || !infoReply || !rangeReply) throw new Error("the transaction was discarded");
      if (infoReply[0]) {
        if (isNoSuchKey(infoReply[0])) return { events: [], gap: "reset" }; // the stream (its history) is gone
        throw infoReply[0];
      }
      if (epochReply[0]) throw epochReply[0];
      if (rangeReply[0]) throw rangeReply[0];
      const info = parseStreamInfo(infoReply[1]);
      const entries = rangeReply[1] as StreamEntry[];
      const stored = epochReply[1] as string | null;
      const current = isEpoch(stored ?? undefined) ? stored! : info.lastEntry?.epoch;
      const gap = this.#gapAfter(id.epoch, id.entryId, current, info, entries[0]);
      if (gap === undefined) return { events: this.#events(entries[0]?.[0] === id.entryId ? entries.slice(1) : entries, take) };
      return await oldest(gap);
    } catch (error) {
      throw this.#failure("cannot read history", error as Error);
    }
  }

  async cursor(): Promise<string> {
    const client = this.#connections?.client;
    if (this.#state !== "open" || !client) throw this.#notOpen("read the cursor");
    if (client.status !== "ready") throw this.#failure("cannot read the cursor", undefined);
    try {
      const args = [epochSuffix(), ...this.#trim];
      const [epoch, lastGeneratedId] = (await cursorScript.run(client, [this.stream, this.epochKey], args)) as [string, string];
      return formatEventId(epoch, lastGeneratedId);
    } catch (error) {
      throw this.#failure("cannot read the cursor", error as Error);
    }
  }

  /**
   * Why the entry after `entryId` of `epoch` cannot be read exactly, or undefined when it can.
   * `current` is the stream's epoch, `found` the first entry at or after `entryId`.
   */
  #gapAfter(epoch: string, entryId: string, current: string | undefined, info: StreamInfo, found: StreamEntry | undefined): BusReadResult["gap"] {
    if (found?.[0] === entryId) {
      // The entry is there: the id is exact if it is this entry's, and nothing after it was XDEL'd
      // (trimming only ever removes the oldest entries; Redis reports the newest deleted id).
      const foundEpoch = parseEntry(found).epoch;
      if (foundEpoch !== epoch) return foundEpoch === undefined || compareEpochs(epoch, foundEpoch) < 0 ? "reset" : "unknown";
      return compareStreamIds(entryId, info.maxDeletedId) >= 0 ? undefined : "expired";
    }
    if (current === undefined) return "reset"; // no epoch: the history it was issued in is gone
    const byEpoch = compareEpochs(epoch, current);
    if (byEpoch < 0) return "reset";
    if (byEpoch > 0) return "unknown";
    const byLast = compareStreamIds(entryId, info.lastGeneratedId);
    if (byLast === 0) return undefined; // the newest entry ever added, trimmed or deleted since: nothing after it
    if (byLast > 0) return "unknown"; // newer than the newest
    const first = info.firstEntry?.entryId;
    // Older than the oldest entry: trimmed (even the newest trimmed one: Redis does not record which
    // entry preceded the oldest, so the bus cannot prove nothing after it was lost). Between entries:
    // deleted with XDEL, or never issued.
    if (first === undefined || compareStreamIds(entryId, first) < 0) return "expired";
    return compareStreamIds(entryId, info.maxDeletedId) <= 0 ? "expired" : "unknown";
  }

  compareIds(a: string, b: string): number {
    return compareEventIds(a, b);
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    await this.#release();
    this.#context = undefined;
  }

  /** XADD's `MAXLEN <mode> <count>` (no mode: no limit), from the hub's `history.maxEvents`. */
  #trimArguments(): [mode: "" | "~" | "=", count: number] {
    const { maxEvents } = this.#history;
    if (!Number.isFinite(maxEvents)) return ["", 0];
    return [this.#options.trim === "exact" ? "=" : "~", Math.max(0, Math.floor(maxEvents))];
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
      const { event } = parseEntry(entry);
      if (event) events.push(event);
    }
    return events;
  }

  /** Caches the scripts on Redis (again after a reconnect: a restarted Redis has forgotten them). */
  async #loadScripts(client: Redis): Promise<void> {
    await Promise.all([publishScript.load(client), cursorScript.load(client)]);
  }

  /** After a reconnect (on the client's "ready"): a publish that finds them missing still falls back to EVAL. */
  #reloadScripts = (): void => {
    const client = this.#connections?.client;
    if (client) this.#loadScripts(client).catch(() => undefined);
  };

  /** The stream's epoch and last entry id now (none and `0-0` for a stream that is not there). */
  async #position(client: Redis): Promise<{ epoch: string | undefined; lastGeneratedId: string }> {
    try {
      const replies = (await client.multi().get(this.epochKey).xinfo("STREAM", this.stream).exec()) ?? [];
      const [epochReply, infoReply] = replies;
      if (!epochReply || !infoReply) throw new Error("the transaction was discarded");
      if (infoReply[0]) {
        if (isNoSuchKey(infoReply[0])) return { epoch: undefined, lastGeneratedId: "0-0" };
        throw infoReply[0];
      }
      if (epochReply[0]) throw epochReply[0];
      const info = parseStreamInfo(infoReply[1]);
      return { epoch: (epochReply[1] as string | null) ?? info.lastEntry?.epoch, lastGeneratedId: info.lastGeneratedId };
    } catch (error) {
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
    connections?.client.off("ready", this.#reloadScripts);
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

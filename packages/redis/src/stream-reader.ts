import type { Redis } from "ioredis";
import type { BusEvent } from "@eventwire/core";
import { compareEpochs, isEpoch } from "./event-id.js";
import { isEpochMark, parseEntry, type StreamEntry } from "./stream-entry.js";
import { compareStreamIds } from "./stream-id.js";

type XReadReply = [key: string, entries: StreamEntry[]][] | null;

export interface StreamReaderOptions {
  readonly connection: Redis;
  readonly stream: string;
  /** The key that holds the stream's epoch. */
  readonly epochKey: string;
  /** The stream's epoch when the bus opened; undefined when it had none. */
  readonly epoch: string | undefined;
  /** The entry id to read after: the stream's last id when the bus opened. */
  readonly afterId: string;
  readonly blockMs: number;
  readonly batch: number;
  readonly onEvent: (event: BusEvent) => void;
  readonly onError: (error: Error) => void;
}

/**
 * The process's one blocking read loop: `XREAD BLOCK` on a dedicated connection, always after
 * the last id it delivered, so a reconnect (the connection resends the pending XREAD, or the
 * loop issues the next one) continues exactly where it stopped.
 *
 * When the history starts over (a new epoch: the stream was deleted or the database flushed), the
 * new entries' ids restart from Redis's clock and may be at or below the last one delivered, so
 * XREAD would skip them. The loop notices the new epoch on the first new entry it reads, or, when
 * none comes after the old last id, on the epoch key once a BLOCK times out; it then reads the
 * stream from its start and delivers every entry of the new epoch, in order, before it goes on.
 */
export class StreamReader {
  #options: StreamReaderOptions;
  #lastId: string;
  #epoch: string | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #retryTimer: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  /** Settles when stop() is called: a read pending on a connection that is down may never settle. */
  #stopSignal: Promise<null>;
  #signalStop: () => void = () => undefined;

  constructor(options: StreamReaderOptions) {
    this.#options = options;
    this.#lastId = options.afterId;
    this.#epoch = options.epoch;
    this.#stopSignal = new Promise((resolve) => {
      this.#signalStop = () => resolve(null);
    });
  }

  /** The entry id of the last entry delivered (or the starting point). */
  get lastId(): string {
    return this.#lastId;
  }

  /** The epoch of the entries it delivers. */
  get epoch(): string | undefined {
    return this.#epoch;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops the loop (and then the caller disconnects the connection). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#signalStop();
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer.timer);
      this.#retryTimer.resolve();
    }
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { connection, stream, blockMs, batch } = this.#options;
    let failures = 0;
    while (!this.#stopped) {
      try {
        const read = connection.xread("COUNT", batch, "BLOCK", blockMs, "STREAMS", stream, this.#lastId);
        read.catch(() => undefined); // after stop(), nobody waits for it
        const reply = (await Promise.race([read, this.#stopSignal])) as XReadReply;
        if (this.#stopped) break;
        if (reply) await this.#deliver(reply.flatMap(([, entries]) => entries));
        else await this.#checkEpoch();
        failures = 0;
      } catch (error) {
        if (this.#stopped) break;
        // A command error (the key is not a stream, say): report it and try again, slower each time.
        this.#options.onError(
          new Error(`@eventwire/redis: reading stream "${stream}" failed: ${(error as Error).message}`, { cause: error }),
        );
        await this.#pause(Math.min(100 * 2 ** failures++, 5_000));
      }
    }
  }

  async #deliver(entries: StreamEntry[]): Promise<void> {
    for (const entry of entries) {
      const parsed = parseEntry(entry);
      if (parsed.epoch !== undefined && parsed.epoch !== this.#epoch) {
        if (this.#later(parsed.epoch)) {
          // A new history: what this batch holds of it is read again, from the stream's start.
          await this.#startOver(parsed.epoch);
          return;
        }
        // An earlier epoch's entry: only the epoch key was deleted, and the stream went on.
        if (compareStreamIds(parsed.entryId, this.#lastId) > 0) this.#lastId = parsed.entryId;
        continue;
      }
      this.#take(parsed);
    }
  }

  /** Whether `epoch` is a history after the current one (any is, before the first). */
  #later(epoch: string): boolean {
    return this.#epoch === undefined || compareEpochs(epoch, this.#epoch) > 0;
  }

  /** Delivers one entry of the current epoch, once, in order. */
  #take(parsed: ReturnType<typeof parseEntry>): void {
    if (compareStreamIds(parsed.entryId, this.#lastId) <= 0) return; // never deliver twice
    this.#lastId = parsed.entryId;
    if (parsed.event) {
      try {
        this.#options.onEvent(parsed.event);
      } catch (error) {
        this.#options.onError(error as Error);
      }
    } else if (!isEpochMark(parsed)) {
      this.#options.onError(new Error(`@eventwire/redis: skipped entry ${parsed.entryId}: it has no "epoch", "name" and "json" fields`));
    }
  }

  /** After a quiet BLOCK: a new epoch whose entries all sort at or before the last id delivered. */
  async #checkEpoch(): Promise<void> {
    const epoch = (await this.#options.connection.get(this.#options.epochKey)) ?? undefined;
    if (isEpoch(epoch) && this.#later(epoch) && !this.#stopped) await this.#startOver(epoch);
  }

  /** Switches to `epoch` and delivers its entries from the stream's start; continues after the last entry read. */
  async #startOver(epoch: string): Promise<void> {
    const { connection, stream, batch } = this.#options;
    this.#epoch = epoch;
    this.#lastId = "0-0";
    let start = "-";
    while (!this.#stopped) {
      const entries = (await connection.xrange(stream, start, "+", "COUNT", batch)) as StreamEntry[];
      for (const entry of entries) {
        const parsed = parseEntry(entry);
        if (parsed.epoch === epoch) this.#take(parsed);
        else this.#lastId = parsed.entryId; // an earlier epoch's entry (the epoch key alone was deleted)
      }
      if (entries.length < batch) return;
      start = `(${entries.at(-1)![0]}`;
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#retryTimer = undefined;
        resolve();
      }, ms);
      this.#retryTimer = { timer, resolve };
    });
  }
}

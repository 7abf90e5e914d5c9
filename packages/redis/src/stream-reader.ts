import type { Redis } from "ioredis";
import type { BusEvent } from "@eventwire/core";
import { entryEvent, type StreamEntry } from "./stream-entry.js";
import { compareStreamIds } from "./stream-id.js";

type XReadReply = [key: string, entries: StreamEntry[]][] | null;

export interface StreamReaderOptions {
  readonly connection: Redis;
  readonly stream: string;
  /** The id to read after: the stream's last id when the bus opened. */
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
 */
export class StreamReader {
  #options: StreamReaderOptions;
  #lastId: string;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #retryTimer: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  /** Settles when stop() is called: a read pending on a connection that is down may never settle. */
  #stopSignal: Promise<null>;
  #signalStop: () => void = () => undefined;

  constructor(options: StreamReaderOptions) {
    this.#options = options;
    this.#lastId = options.afterId;
    this.#stopSignal = new Promise((resolve) => {
      this.#signalStop = () => resolve(null);
    });
  }

  /** The id of the last entry delivered (or the starting point). */
  get lastId(): string {
    return this.#lastId;
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
      let reply: XReadReply;
      try {
        const read = connection.xread("COUNT", batch, "BLOCK", blockMs, "STREAMS", stream, this.#lastId);
        read.catch(() => undefined); // after stop(), nobody waits for it
        reply = (await Promise.race([read, this.#stopSignal])) as XReadReply;
        failures = 0;
      } catch (error) {
        if (this.#stopped) break;
        // A command error (the key is not a stream, say): report it and try again, slower each time.
        this.#options.onError(
          new Error(`@eventwire/redis: reading stream "${stream}" failed: ${(error as Error).message}`, { cause: error }),
        );
        await this.#pause(Math.min(100 * 2 ** failures++, 5_000));
        continue;
      }
      if (reply && !this.#stopped) this.#deliver(reply);
    }
  }

  #deliver(reply: NonNullable<XReadReply>): void {
    for (const [, entries] of reply) {
      for (const entry of entries) {
        const id = entry[0];
        if (compareStreamIds(id, this.#lastId) <= 0) continue; // never deliver twice
        this.#lastId = id;
        const event = entryEvent(entry);
        if (!event) {
          this.#options.onError(new Error(`@eventwire/redis: skipped entry ${id}: it has no "name" and "json" fields`));
          continue;
        }
        try {
          this.#options.onEvent(event);
        } catch (error) {
          this.#options.onError(error as Error);
        }
      }
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

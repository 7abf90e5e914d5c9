import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg, type StreamInfo } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Bus, BusContext, BusEvent, BusReadResult, BusRecord, HistoryLimits } from "@eventwire/core";
import { ControlSubject } from "./control-subject.js";
import { compareEpochs, compareEventIds, formatEventId, parseEventId, streamEpoch } from "./event-id.js";
import { readMessages } from "./history-reader.js";
import { LiveConsumer } from "./live-consumer.js";
import { messageMeta, recordHeaders } from "./message-codec.js";
import { resolveNatsBusOptions, type NatsBusOptions, type ResolvedNatsBusOptions } from "./nats-bus-options.js";
import { ensureStream, isStreamNotFound, RECREATE_SETTLE_MS, type StreamSpec } from "./stream-setup.js";

type State = "new" | "opening" | "open" | "closed";

interface Session {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly ownsConnection: boolean;
}

/**
 * A bus on one JetStream stream: publishing stores a message (its stream sequence makes the
 * event id), every process follows the stream with one ordered consumer and hands each message
 * to its hub, and a resume reads the stored messages after the client's sequence. Control
 * messages (revocations) go over core NATS, next to the stream (see control-subject.ts).
 */
export class NatsBus implements Bus {
  /** The stream's name. */
  readonly stream: string;
  /** The subject events are published on. */
  readonly subject: string;
  #options: ResolvedNatsBusOptions;
  #state: State = "new";
  #session: Session | undefined;
  #context: BusContext | undefined;
  #history: HistoryLimits = { maxEvents: Infinity, maxAgeMs: Infinity };
  /** The stream's epoch (creation time): the first part of every id. */
  #epoch = "0";
  #live: LiveConsumer | undefined;
  #control: ControlSubject;
  /** The last sequence delivered live, and the highest one a publish of ours was acknowledged with. */
  #lastSeq = 0;
  #highestAck = 0;
  #connected = false;
  #status: AsyncIterable<unknown> | undefined;
  #checking: Promise<void> | undefined;
  #checkAgain = false;
  #refollow = false;
  #inflight = new Set<Promise<unknown>>();

  constructor(options: NatsBusOptions = {}) {
    this.#options = resolveNatsBusOptions(options);
    this.stream = this.#options.stream;
    this.subject = this.#options.subject;
    this.#control = new ControlSubject(this.subject);
  }

  async open(context: BusContext): Promise<void> {
    if (this.#state !== "new") throw new Error(`@eventwire/nats: open() was already called (the bus is ${this.#state})`);
    this.#state = "opening";
    this.#context = context;
    this.#history = context.history;
    try {
      const nc = this.#options.connection ?? (await this.#connect());
      const ownsConnection = !this.#options.connection;
      const timeout = this.#options.requestTimeoutMs;
      this.#session = { nc, ownsConnection, js: jetstream(nc, { timeout }), jsm: await jetstreamManager(nc, { timeout }) };
      this.#connected = !nc.isClosed();
      this.#watchConnection(nc);
      const info = await ensureStream(this.#session.jsm, this.#spec());
      if (this.#state !== "opening") throw new Error("@eventwire/nats: the bus was closed while opening");
      // Follow the stream from the message after its current last one: whatever is published
      // once open() has resolved gets a later sequence, so this process's hub sees it.
      this.#epoch = streamEpoch(info.created);
      this.#lastSeq = info.state.last_seq;
      this.#highestAck = info.state.last_seq;
      await this.#follow(info.state.last_seq + 1);
      await this.#control.subscribe(nc, (message) => this.#context?.onControl?.(message));
      this.#state = "open";
    } catch (error) {
      await this.#release();
      if (this.#state === "opening") this.#state = "new";
      throw error instanceof Error && error.message.startsWith("@eventwire/nats:")
        ? error
        : new Error(`@eventwire/nats: cannot open stream "${this.stream}" on NATS at ${this.#where()}: ${(error as Error).message}`, {
            cause: error,
          });
    }
  }

  publish(record: BusRecord): Promise<string> {
    const session = this.#session;
    if (this.#state !== "open" || !session) return Promise.reject(this.#notOpen("publish"));
    const what = `cannot publish "${record.name}"`;
    if (!this.#connected || session.nc.isClosed()) {
      return Promise.reject(new Error(`@eventwire/nats: ${what}: NATS at ${this.#where()} is unreachable (reconnecting)`));
    }
    // Sent synchronously, so publishes reach the server (and the stream) in call order.
    const sent = session.js
      .publish(this.subject, record.json, {
        headers: recordHeaders(record),
        timeout: this.#options.requestTimeoutMs,
        expect: { streamName: this.stream },
      })
      .then(
        async (ack) => {
          // A sequence at or below one acknowledged before means the stream was created anew
          // (deleted, or a memory-storage server restarted): learn its epoch before naming the id.
          if (ack.seq <= this.#highestAck || this.#checking) await this.#checkStream();
          this.#highestAck = Math.max(this.#highestAck, ack.seq);
          return formatEventId(this.#epoch, ack.seq);
        },
        (error: Error) => {
          throw this.#publishFailure(what, error);
        },
      );
    this.#inflight.add(sent);
    void sent.then(
      () => this.#inflight.delete(sent),
      () => this.#inflight.delete(sent),
    );
    return sent;
  }

  async publishControl(message: string): Promise<void> {
    const session = this.#session;
    if (this.#state !== "open" || !session) throw this.#notOpen("publish a control message");
    if (!this.#connected || session.nc.isClosed()) {
      throw new Error(`@eventwire/nats: cannot publish a control message: NATS at ${this.#where()} is unreachable (reconnecting)`);
    }
    try {
      await this.#control.publish(session.nc, message);
    } catch (error) {
      throw new Error(`@eventwire/nats: cannot publish a control message: NATS at ${this.#where()}: ${(error as Error).message}`, { cause: error });
    }
  }

  async read(afterId: string | undefined, limit: number): Promise<BusReadResult> {
    const session = this.#session;
    if (this.#state !== "open" || !session) throw this.#notOpen("read");
    if (!this.#connected) throw new Error(`@eventwire/nats: cannot read history: NATS at ${this.#where()} is unreachable (reconnecting)`);
    try {
      let info: StreamInfo;
      try {
        info = await session.jsm.streams.info(this.stream);
      } catch (error) {
        if (!isStreamNotFound(error)) throw error;
        void this.#checkStream();
        return afterId === undefined ? { events: [] } : { events: [], gap: "reset" }; // the stream (and its history) is gone
      }
      const epoch = streamEpoch(info.created);
      if (epoch !== this.#epoch) void this.#checkStream(); // created anew under this bus
      const { first_seq, last_seq, messages } = info.state;
      const firstSeq = Math.max(1, first_seq);
      let fromSeq = firstSeq;
      let gap: BusReadResult["gap"] = undefined;
      if (afterId !== undefined) {
        const id = parseEventId(afterId);
        if (!id) gap = "unknown";
        else if (id.epoch !== epoch) gap = compareEpochs(id.epoch, epoch) < 0 ? "reset" : "unknown"; // an earlier stream's, or none yet
        else if (id.seq > last_seq) gap = "unknown";
        else if (id.seq < firstSeq - 1) gap = "expired";
        else fromSeq = id.seq + 1;
      }
      const take = Math.floor(limit);
      if (messages === 0 || fromSeq > last_seq || take <= 0) return gap === undefined ? { events: [] } : { events: [], gap };
      const stored = await readMessages({
        js: session.js,
        jsm: session.jsm,
        stream: this.stream,
        subject: this.subject,
        fromSeq,
        lastSeq: last_seq,
        limit: take,
        timeoutMs: this.#options.requestTimeoutMs,
      });
      // Messages trimmed between the stream info and the fetch: what follows is the oldest
      // retained, and what was between is lost to this reader. (Only provable when the stream
      // holds nothing but this bus's subject, so every sequence is one of its events.)
      const subjects = info.config.subjects ?? [];
      const exclusive = subjects.length === 1 && subjects[0] === this.subject;
      if (gap === undefined && exclusive && (stored.length === 0 || stored[0]!.seq !== fromSeq)) gap = "expired";
      const events: BusEvent[] = [];
      for (const message of stored) {
        const event = this.#event(epoch, message);
        if (event) events.push(event);
      }
      return gap === undefined ? { events } : { events, gap };
    } catch (error) {
      throw new Error(`@eventwire/nats: cannot read history from NATS at ${this.#where()}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async cursor(): Promise<string> {
    const session = this.#session;
    if (this.#state !== "open" || !session) throw this.#notOpen("read the cursor");
    if (!this.#connected) throw new Error(`@eventwire/nats: cannot read the cursor: NATS at ${this.#where()} is unreachable (reconnecting)`);
    try {
      let info: StreamInfo;
      try {
        info = await session.jsm.streams.info(this.stream);
      } catch (error) {
        if (!isStreamNotFound(error)) throw error;
        // Deleted: the next event goes to the stream created anew, so the cursor is its start.
        await this.#checkStream();
        info = await session.jsm.streams.info(this.stream);
      }
      const epoch = streamEpoch(info.created);
      if (epoch !== this.#epoch) void this.#checkStream(); // created anew under this bus
      return formatEventId(epoch, info.state.last_seq);
    } catch (error) {
      throw new Error(`@eventwire/nats: cannot read the cursor from NATS at ${this.#where()}: ${(error as Error).message}`, { cause: error });
    }
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

  #spec(): StreamSpec {
    const { stream, subject, storage, replicas } = this.#options;
    return { stream, subject, storage, replicas, history: this.#history };
  }

  /** Connects, retrying until `connectTimeoutMs` (a server that is still starting, say). */
  async #connect(): Promise<NatsConnection> {
    const { servers, connectionOptions, connectTimeoutMs } = this.#options;
    const deadline = Date.now() + connectTimeoutMs;
    for (;;) {
      try {
        return await connect({
          maxReconnectAttempts: -1,
          ...connectionOptions,
          servers,
          timeout: Math.max(100, Math.min(deadline - Date.now(), connectionOptions.timeout ?? 20_000)),
        });
      } catch (error) {
        if (Date.now() + 250 >= deadline || this.#state !== "opening") {
          throw new Error(
            `@eventwire/nats: cannot reach NATS at ${this.#where()} (no connection within ${connectTimeoutMs} ms): ${(error as Error).message}`,
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** Starts an ordered consumer at `startSeq` for the current epoch (replacing any earlier one). */
  async #follow(startSeq: number): Promise<void> {
    const session = this.#session!;
    const epoch = this.#epoch;
    const previous = this.#live;
    const live = new LiveConsumer({
      js: session.js,
      stream: this.stream,
      subject: this.subject,
      startSeq,
      onMessage: (message) => this.#deliver(epoch, message),
      onNotification: () => {
        if (this.#connected && this.#live === live) void this.#checkStream(true);
      },
    });
    this.#live = live;
    await previous?.stop();
    await live.start();
  }

  #deliver(epoch: string, message: JsMsg): void {
    if (epoch !== this.#epoch || message.seq <= this.#lastSeq) return; // never twice, never a stale stream's
    this.#lastSeq = message.seq;
    const event = this.#event(epoch, message);
    if (!event) return;
    try {
      this.#context?.onEvent(event);
    } catch (error) {
      this.#context?.onError(error as Error);
    }
  }

  #event(epoch: string, message: JsMsg): BusEvent | undefined {
    const meta = messageMeta(message.headers);
    if (!meta) {
      this.#context?.onError(new Error(`@eventwire/nats: skipped message ${message.seq}: it has no Eventwire-Name header`));
      return undefined;
    }
    return { id: formatEventId(epoch, message.seq), name: meta.name, session: meta.session, json: message.string(), publishedAt: message.time.getTime() };
  }

  /**
   * Makes sure the stream is there (creating it again if it was deleted). When it is a new
   * stream, switches to its epoch and follows it from its start; when `refollow` is set (after a
   * reconnect, or when the consumer is in trouble), restarts the live consumer right after the
   * last message delivered, so nothing is missed or repeated. One check at a time; a failed one
   * is retried until it succeeds or the bus closes.
   */
  #checkStream(refollow = false): Promise<void> {
    this.#refollow ||= refollow;
    if (this.#checking) {
      this.#checkAgain = true;
      return this.#checking;
    }
    const check = async (): Promise<void> => {
      let failures = 0;
      do {
        this.#checkAgain = false;
        const session = this.#session;
        if (!session || this.#state !== "open") return;
        try {
          // The stream was there when the bus opened: if it is gone now, it was deleted (or a
          // memory-storage server restarted), so let a deletion finish before creating it anew.
          const info = await ensureStream(session.jsm, this.#spec(), {
            settleMs: RECREATE_SETTLE_MS,
            active: () => this.#state === "open" && this.#session === session,
          });
          if (this.#state !== "open") return;
          const epoch = streamEpoch(info.created);
          if (epoch !== this.#epoch) {
            this.#context?.onError(
              new Error(`@eventwire/nats: stream "${this.stream}" was created anew; its ids start over (older ids resume with a reset gap)`),
            );
            this.#epoch = epoch;
            this.#lastSeq = 0;
            this.#highestAck = 0;
            this.#refollow = false;
            await this.#follow(1);
          } else if (this.#refollow) {
            this.#refollow = false;
            await this.#follow(this.#lastSeq + 1);
          }
          failures = 0;
        } catch (error) {
          if (this.#state !== "open") return;
          this.#refollow = true; // the consumer may be gone: start a fresh one once this works
          if (!this.#connected) return; // the reconnect checks again
          this.#context?.onError(
            new Error(`@eventwire/nats: cannot check stream "${this.stream}", retrying: ${(error as Error).message}`, { cause: error }),
          );
          await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** failures++, 5_000)).unref());
          this.#checkAgain = true;
        }
      } while (this.#checkAgain && this.#state === "open");
    };
    this.#checking = check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  #watchConnection(nc: NatsConnection): void {
    const status = nc.status();
    this.#status = status;
    void (async () => {
      for await (const event of status) {
        if (this.#state === "closed") break;
        if (event.type === "disconnect") {
          this.#connected = false;
          this.#context?.onError(new Error(`@eventwire/nats: lost the connection to NATS at ${event.server}, reconnecting`));
        } else if (event.type === "reconnect") {
          this.#connected = true;
          void this.#checkStream(true);
        } else if (event.type === "close") {
          this.#connected = false;
        } else if (event.type === "error") {
          this.#context?.onError(new Error(`@eventwire/nats: NATS reported: ${event.error.message}`, { cause: event.error }));
        }
      }
    })().catch(() => undefined);
  }

  #publishFailure(what: string, error: Error): Error {
    const name = error.name;
    const where = this.#where();
    let reason: string;
    if (name === "JetStreamNotEnabled" || name === "NoRespondersError" || /no responders/i.test(error.message)) {
      void this.#checkStream();
      reason = `no JetStream stream takes subject "${this.subject}" on NATS at ${where} (was stream "${this.stream}" deleted?)`;
    } else if (name === "TimeoutError" || /timeout/i.test(error.message)) {
      reason = `NATS at ${where} did not acknowledge it within ${this.#options.requestTimeoutMs} ms`;
    } else if (this.#session?.nc.isClosed() || /closed|disconnect/i.test(error.message)) {
      reason = `NATS at ${where} is unreachable (${error.message})`;
    } else {
      reason = `NATS at ${where} refused it: ${error.message}`;
    }
    return new Error(`@eventwire/nats: ${what}: ${reason}`, { cause: error });
  }

  #where(): string {
    const servers = this.#options.servers;
    if (this.#options.connection) return this.#options.connection.getServer();
    return Array.isArray(servers) ? servers.join(",") : servers;
  }

  async #release(): Promise<void> {
    const session = this.#session;
    const live = this.#live;
    this.#live = undefined;
    this.#control.unsubscribe();
    (this.#status as { stop?: () => void } | undefined)?.stop?.();
    this.#status = undefined;
    await live?.stop();
    if (!session) return;
    // Let publishes already sent get their acknowledgement (bounded by their own timeout).
    await Promise.allSettled([...this.#inflight]);
    this.#session = undefined;
    if (session.ownsConnection && !session.nc.isClosed()) await session.nc.close().catch(() => undefined);
  }

  #notOpen(what: string): Error {
    return new Error(`@eventwire/nats: cannot ${what}: the bus is ${this.#state === "closed" ? "closed" : "not open"}`);
  }
}

/**
 * A bus on NATS JetStream, for hubs in several processes: `createHub({ bus: natsBus({ servers }) })`
 * in each of them, and every event reaches every process once, in one order.
 */
export function natsBus(options: NatsBusOptions = {}): Bus {
  return new NatsBus(options);
}

import type { Bus } from "./bus/bus.js";
import type { EventFilter } from "./event-filter.js";
import type { Frame } from "./frame.js";
import type { ResolvedOptions } from "./options.js";
import type { Scope } from "./authorize.js";
import { unrefTimer } from "./timers.js";

/** Counters behind `hub.stats()`. */
export interface EventCounters {
  published: number;
  delivered: number;
  dropped: number;
}

/** What a connection needs from the hub that serves it. */
export interface ConnectionHost {
  readonly options: ResolvedOptions;
  readonly bus: Bus;
  readonly counters: EventCounters;
  /** Called when the hub starts closing a connection: it stops routing events to it. */
  connectionClosing(connection: Connection): void;
  /** Called once when a connection has closed, whatever closed it. */
  connectionClosed(connection: Connection): void;
}

/** Who a connection is and what it sees, settled before it opens. */
export interface Admission {
  readonly sessions: Scope;
  /** The session the client asked for, if any (`ctx.sessionId`). */
  readonly sessionId: string | undefined;
  readonly filter: EventFilter;
  readonly principal: unknown;
  readonly lastEventId: string | undefined;
  /** SSE only: whether each event carries an `event:` line with its name (`HubOptions.eventLines`, query `eventLines`). */
  readonly eventLines: boolean;
}

/**
 * Why the hub ends a stream: `slow`, a reader past its buffer bound (docs/protocol.md#load-and-bad-input); `shutdown`, the hub
 * closing (docs/protocol.md#shutdown); `rotate`, the stream reached its `maxStreamMs`
 * (docs/protocol.md#runtimes-and-platforms; the client reconnects at once).
 */
export type CloseReason = "slow" | "shutdown" | "rotate";

let nextConnectionId = 1;

/**
 * One client stream, whatever its transport: filters events, writes them, closes a reader that
 * falls too far behind (docs/protocol.md#load-and-bad-input) and skips what a resume already sent.
 */
export abstract class Connection {
  abstract readonly transport: "sse" | "websocket";
  readonly id = `c${(nextConnectionId++).toString(36)}`;
  readonly sessions: Scope;
  readonly sessionId: string | undefined;
  readonly principal: unknown;
  readonly filter: EventFilter;
  /** False while a resume replays history; live events reach only live connections. */
  live = false;
  /** Set once the connection is closing: nothing more is written to it. */
  closing = false;
  closed = false;
  /** After a resume, live events up to this id were already sent from history. */
  #sentThrough: string | undefined;
  #closeListeners: (() => void)[] | undefined;
  #lifetime: ReturnType<typeof setTimeout> | undefined;
  /**
   * The largest event bigger than `maxBufferedBytes` written since the buffer was last under it:
   * the bound is on what a reader leaves unsent, not on one event's size
   * (docs/protocol.md#load-and-bad-input), so that event goes on top of it until it has drained.
   */
  #oversize = 0;

  constructor(
    protected readonly host: ConnectionHost,
    admission: Admission,
  ) {
    this.sessions = admission.sessions;
    this.sessionId = admission.sessionId;
    this.principal = admission.principal;
    this.filter = admission.filter;
  }

  /** Bytes written but not yet taken by the peer, those waiting for the end of the turn included. */
  abstract get bufferedBytes(): number;
  /** Writes now what waits for the end of the turn (writes are coalesced per turn). */
  abstract flush(): void;
  /** Resolves once buffered bytes have been flushed, or the connection closed. */
  abstract drained(): Promise<void>;
  protected abstract writeFrame(frame: Frame): void;
  /** Sends a control message (`gap`, `pong`, `ack`, `error`): no id, not in history. */
  abstract sendControl(json: string): void;
  abstract heartbeat(): void;
  /** Ends the underlying stream; see {@link close}. */
  protected abstract end(reason: CloseReason): void;

  /** Whether this connection may and wants to see an event: its sessions, then its filter. */
  wants(name: string, session: string | undefined, optIn: boolean): boolean {
    if (this.sessions !== undefined && (session === undefined || !this.sessions.includes(session))) return false;
    return this.filter.matches(name, optIn);
  }

  /** Live delivery from the router, which has already matched the session. */
  deliver(frame: Frame, optIn: boolean): void {
    if (this.closing || !this.filter.matches(frame.name, optIn)) return;
    if (this.#sentThrough !== undefined) {
      if (this.host.bus.compareIds(frame.id, this.#sentThrough) <= 0) return;
      this.#sentThrough = undefined;
    }
    this.send(frame);
    if (this.overBufferLimit()) {
      this.host.counters.dropped++;
      this.close("slow");
    }
  }

  /**
   * Whether the peer has left more than `maxBufferedBytes` unsent (docs/protocol.md#load-and-bad-input).
   * Bytes waiting for the end of the turn are first handed to the socket, so a burst to a reader
   * that keeps up is not mistaken for a slow reader.
   */
  protected overBufferLimit(): boolean {
    const { maxBufferedBytes } = this.host.options.limits;
    if (this.bufferedBytes <= maxBufferedBytes) {
      this.#oversize = 0; // whatever large event there was has drained
      return false;
    }
    const limit = maxBufferedBytes + this.#oversize;
    if (this.bufferedBytes <= limit) return false;
    this.flush();
    return this.bufferedBytes > limit;
  }

  /** Writes one event from history or live, counting it. */
  send(frame: Frame): void {
    if (this.closing) return;
    const before = this.bufferedBytes;
    this.writeFrame(frame);
    this.host.counters.delivered++;
    const added = this.bufferedBytes - before;
    if (added > this.host.options.limits.maxBufferedBytes) this.#oversize = Math.max(this.#oversize, added);
  }

  /** Switches from replaying history to live events, skipping live ones up to `sentThrough`. */
  goLive(sentThrough: string | undefined): void {
    this.#sentThrough = sentThrough;
    this.live = true;
  }

  /** Ends the stream with `rotate` after `ms` (the hub's `maxStreamMs`, jittered). */
  endAfter(ms: number): void {
    if (this.closing) return;
    this.#lifetime = unrefTimer(setTimeout(() => this.close("rotate"), ms));
  }

  /**
   * Ends the stream, for a {@link CloseReason}. It stops receiving events at once; `closed`
   * follows when the stream is gone.
   */
  close(reason: CloseReason): void {
    if (this.closed) return;
    clearTimeout(this.#lifetime);
    // A shutdown also hurries a connection already closing as a slow reader.
    if (this.closing && reason !== "shutdown") return;
    if (!this.closing) {
      this.closing = true;
      this.host.connectionClosing(this);
    }
    this.end(reason);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else (this.#closeListeners ??= []).push(listener);
  }

  /** Subclasses call this exactly once, when the underlying stream is gone. */
  protected closed_(): void {
    if (this.closed) return;
    this.closing = true;
    this.closed = true;
    clearTimeout(this.#lifetime);
    this.host.connectionClosed(this);
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}

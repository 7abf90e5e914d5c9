import type { Bus } from "./bus/bus.js";
import type { EventFilter } from "./event-filter.js";
import type { Frame } from "./frame.js";
import type { ResolvedOptions } from "./options.js";
import type { View } from "./view.js";
import { setTimer } from "./long-timer.js";

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
  readonly view: View;
  /** The grant's `subject`, what `hub.revoke({ subject })` matches. */
  readonly subject: string | undefined;
  /** When the grant ends (epoch ms): the stream is ended then, as `expired`. */
  readonly expiresAt: number | undefined;
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
 * (docs/protocol.md#runtimes-and-platforms; the client reconnects at once); `expired`, the grant's
 * `expiresAt` came, and `revoked`, `hub.revoke` matched it (docs/protocol.md#sessions-scopes-and-authorization).
 */
export type CloseReason = "slow" | "shutdown" | "rotate" | "expired" | "revoked";

let nextConnectionId = 1;

/**
 * One client stream, whatever its transport: filters events, writes them, closes a reader that
 * falls too far behind (docs/protocol.md#load-and-bad-input) and skips what a resume already sent.
 */
export abstract class Connection {
  abstract readonly transport: "sse" | "websocket";
  readonly id = `c${(nextConnectionId++).toString(36)}`;
  readonly view: View;
  readonly subject: string | undefined;
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
  /** When the stream ends by itself (`maxStreamMs`, `expiresAt`), epoch ms, and how to cancel that. */
  #endsAt: number | undefined;
  #cancelEnd: (() => void) | undefined;
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
    this.view = admission.view;
    this.subject = admission.subject;
    this.sessionId = admission.sessionId;
    this.principal = admission.principal;
    this.filter = admission.filter;
    if (admission.expiresAt !== undefined) this.endAfter(admission.expiresAt - Date.now(), "expired");
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

  /** Whether this connection may and wants to see an event: its view, then its filter. */
  wants(frame: Frame, optIn: boolean): boolean {
    return this.view.sees(frame) && this.filter.matches(frame.name, optIn);
  }

  /** Live delivery from the router, which offers the event to the connections its index finds. */
  deliver(frame: Frame, optIn: boolean): void {
    if (this.closing || !this.wants(frame, optIn)) return;
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

  /**
   * Ends the stream with `reason` after `ms`: `rotate` for the hub's `maxStreamMs` (jittered),
   * `expired` at the grant's `expiresAt`. Whichever comes first ends it.
   */
  endAfter(ms: number, reason: "rotate" | "expired" = "rotate"): void {
    if (this.closing) return;
    const at = Date.now() + ms;
    if (this.#endsAt !== undefined && this.#endsAt <= at) return;
    this.#cancelEnd?.();
    this.#endsAt = at;
    this.#cancelEnd = setTimer(() => this.close(reason), ms);
  }

  /**
   * Ends the stream, for a {@link CloseReason}. It stops receiving events at once; `closed`
   * follows when the stream is gone.
   */
  close(reason: CloseReason): void {
    if (this.closed) return;
    this.#cancelEnd?.();
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
    this.#cancelEnd?.();
    this.host.connectionClosed(this);
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}

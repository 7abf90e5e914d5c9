/**
 * The bus carries published events between publishers and hubs, assigns their ids and keeps the
 * history that resumes read from. The in-memory bus serves one process; `@eventwire/redis` and
 * `@eventwire/nats` implement the same contract across processes.
 */

/** What a hub hands to the bus: the published object, already validated and encoded once. */
export interface BusRecord {
  /** The event's name (its `event` field). */
  readonly name: string;
  /** The event's session (the hub's `sessionKey` field), when it has one. */
  readonly session: string | undefined;
  /** The published object as JSON, without `id`. */
  readonly json: string;
}

/** A record with the id the bus assigned: what hubs receive and what history returns. */
export interface BusEvent extends BusRecord {
  /** Opaque, unique across restarts, increasing in the bus's order. */
  readonly id: string;
  /**
   * When the bus took the event, in milliseconds since the Unix epoch by the bus's own clock (the
   * Redis or NATS server's), where the bus knows it: the hub's `eventwire.bus.lag` metric is the
   * time from then to the event's arrival at this process.
   */
  readonly publishedAt?: number;
}

/** How much history a bus keeps (docs/protocol.md#resume). A bus may keep a little more, never less. */
export interface HistoryLimits {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

/** Why a resume could not be exact (docs/protocol.md#resume). */
export type GapReason = "expired" | "unknown" | "reset" | "overrun";

export interface BusReadResult {
  /** Retained events after the requested id (or from the oldest retained), oldest first. */
  readonly events: BusEvent[];
  /**
   * Why `afterId` cannot be resumed exactly; absent when it can. A bus tells "expired" (older than
   * its history), "unknown" (malformed, never issued, newer than the newest) or "reset" (issued by
   * an earlier run, or before its history store was recreated or flushed); the hub itself tells
   * "overrun". `events` then starts at the oldest retained event.
   */
  readonly gap?: Exclude<GapReason, "overrun">;
}

export interface BusContext {
  readonly history: HistoryLimits;
  /**
   * Receives every event from every publisher exactly once, in the bus's order. Called
   * synchronously; it must not throw.
   */
  onEvent(event: BusEvent): void;
  /** Reports a failure the bus recovers from by itself (a reconnect, say). */
  onError(error: Error): void;
  /**
   * Receives every control message published on the bus (see {@link Bus.publishControl}), the
   * hub's own included, in no particular order with events. Called synchronously; it must not throw.
   */
  onControl?(message: string): void;
}

export interface Bus {
  /** Called once by the hub before any other method. Resolves when live events flow. */
  open(context: BusContext): Promise<void>;
  /** Appends one record; resolves to its id once the bus has it, rejects when it cannot take it. */
  publish(record: BusRecord): Promise<string>;
  /**
   * Up to `limit` retained events after `afterId` (exclusive), oldest first; without `afterId`,
   * from the oldest retained, never with a gap (what `lastEventId=earliest` reads). See
   * {@link BusReadResult.gap}.
   */
  read(afterId: string | undefined, limit: number): Promise<BusReadResult>;
  /**
   * An id that resumes exactly after the newest event this bus has issued at the time of the call,
   * also when it has issued none yet (what `hub.cursor()` returns).
   */
  cursor(): Promise<string>;
  /**
   * Broadcasts a control message (a revocation: `hub.revoke`) to every hub on the bus, this one
   * included; not kept in history, never replayed. Resolves once the bus has taken it. A bus
   * without it serves one process: revocations then reach only the hub that issues them.
   */
  publishControl?(message: string): Promise<void>;
  /** Orders two ids this bus issued: negative, zero or positive, like `Array.prototype.sort`. */
  compareIds(a: string, b: string): number;
  /** Stops delivering events and releases connections. */
  close(): Promise<void>;
}

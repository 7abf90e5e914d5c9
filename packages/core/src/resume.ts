import type { Bus, BusEvent, GapReason } from "./bus/bus.js";
import type { ReplayCompactor } from "./compaction.js";
import type { Connection } from "./connection.js";
import { controlJson, Frame } from "./frame.js";

/** Events read from the bus per page while a connection catches up. */
const pageSize = 256;

/** The `lastEventId` of a late join: every retained event of the view, then live (docs/protocol.md#resume). */
export const EARLIEST = "earliest";

/**
 * Serves a resume (docs/protocol.md#resume): every retained event after `lastEventId` that matches the connection's
 * filter, in order, then live events with none twice. History is read page by page at the pace the
 * connection drains, so a large replay is never mistaken for a slow reader; live events published
 * meanwhile are picked up from history too, until the connection has caught up with what the hub
 * has dispatched, and only then does it go live.
 */
export interface ResumeHost {
  readonly bus: Bus;
  readonly optIn: ReadonlySet<string>;
  /** Buffered bytes past which the replay waits for the connection to drain. */
  readonly highWaterBytes: number;
  /** The id of the newest event the hub has routed to live connections. */
  dispatchedThrough(): string | undefined;
  /** Makes the connection live, synchronously, skipping live events up to `sentThrough`. */
  goLive(sentThrough: string | undefined): void;
  /** Merges runs of compacted events during the replay (`createHub({ compact })`); none without. */
  readonly compactor?: ReplayCompactor;
  /** Told once per resume, after the first read: exact (undefined) or the gap's reason (for metrics). */
  resumed?(gap: GapReason | undefined): void;
}

/** Replays after `lastEventId`, or every retained event for {@link EARLIEST}, then makes the connection live. */
export async function catchUp(connection: Connection, lastEventId: string, host: ResumeHost): Promise<void> {
  const { bus, optIn, highWaterBytes, compactor } = host;
  // Without an id the bus reads from the oldest retained event, and never answers with a gap.
  let cursor: string | undefined = lastEventId === EARLIEST ? undefined : lastEventId;
  // The id of the last event this connection has: a gap names it, so the client knows where it broke.
  let lastSent = lastEventId;
  // Replay compaction: consecutive events this connection is sent, of one compacted name and
  // session, held until the run ends. Consecutive on this stream, not merely in the session: had an
  // event of another session gone out between two of them, a resume from its id would miss the first.
  let run: BusEvent[] = [];
  const sendRun = () => {
    if (run.length === 0) return;
    for (const frame of compactor!.frames(run)) connection.send(frame);
    lastSent = run.at(-1)!.id;
    run = [];
  };
  let first = true;
  while (!connection.closing) {
    const dispatchedBefore = host.dispatchedThrough();
    const { events, gap } = await bus.read(cursor, pageSize);
    if (first) host.resumed?.(gap);
    if (connection.closing) return;
    if (gap !== undefined) {
      // On the first read: the client's id cannot be resumed, for the bus's reason. On a later one,
      // "expired" means the history moved past this replay while it waited for the connection to
      // drain: an "overrun" (docs/protocol.md#resume).
      sendRun();
      const reason: GapReason = !first && gap === "expired" ? "overrun" : gap;
      connection.sendControl(controlJson({ event: "gap", lastEventId: lastSent, reason }));
      cursor = undefined;
    }
    first = false;
    for (const event of events) {
      cursor = event.id;
      // A replay obeys the same view as live events: sessions, scopes, then the event filter.
      const frame = new Frame(event);
      if (!connection.wants(frame, optIn.has(event.name))) continue;
      if (compactor?.compacts(event.name)) {
        const open = run[0];
        if (open !== undefined && (open.name !== event.name || open.session !== event.session)) sendRun();
        run.push(event);
      } else {
        sendRun();
        connection.send(frame);
        lastSent = event.id;
      }
      if (connection.bufferedBytes > highWaterBytes) await connection.drained();
      if (connection.closing) return;
    }
    if (events.length < pageSize) {
      // Caught up when nothing the hub has routed is newer than what this connection was sent. With
      // nothing read at all, when nothing was routed while the (empty) history was being read.
      const newest = host.dispatchedThrough();
      const caughtUp = cursor === undefined ? newest === dispatchedBefore : newest === undefined || bus.compareIds(newest, cursor) <= 0;
      if (caughtUp) {
        // A run still open ends with the replay: live events are never merged.
        sendRun();
        host.goLive(cursor);
        return;
      }
    }
  }
}

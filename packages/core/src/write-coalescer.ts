/**
 * Writes are coalesced (docs/protocol.md#load-and-bad-input): whatever one connection is sent
 * in one turn of the event loop (events, replayed history, control messages, keepalives) goes out
 * in one write, in the order it was sent, at the end of that turn. The flush is a microtask, not a
 * timer, so it adds no latency; every writer waiting in a turn is flushed by one microtask.
 *
 * A connection's unsent bytes are what its socket buffers plus what waits here, so a slow reader
 * is measured exactly as before (see `pendingBytes`).
 */

/**
 * Bytes one writer may hold for the end of the turn; past it, they are written at once. A turn that
 * sends one connection more than this (a large replay page, a long burst) still costs few writes,
 * and what the socket has not taken never looks larger than it is.
 */
export const flushAtBytes = 64 * 1024;

/** Writers holding bytes for the end of this turn. */
const due: CoalescingWriter[] = [];
let scheduled = false;

function flushDue(): void {
  try {
    // A writer that gains bytes while this runs (it should not) is flushed in the same pass.
    for (let i = 0; i < due.length; i++) due[i]!.flush();
  } finally {
    due.length = 0;
    scheduled = false;
  }
}

/**
 * One connection's writer: chunks queued in a turn are handed to `writeOut` together when it ends.
 * Subclasses write them to their socket or stream.
 */
export abstract class CoalescingWriter {
  #pending: Buffer | Buffer[] | undefined;
  #pendingBytes = 0;

  /** Bytes queued for the end of this turn, not yet handed to the socket. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Writes everything queued now, in order (before ending a stream, or to wait for a drain). */
  flush(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    const bytes = this.#pendingBytes;
    this.#pending = undefined;
    this.#pendingBytes = 0;
    this.writeOut(pending, bytes);
  }

  /** Queues one chunk; shared chunks (a pre-built frame) are kept as they are, never copied here. */
  protected queue(chunk: Buffer): void {
    const pending = this.#pending;
    if (pending === undefined) {
      this.#pending = chunk;
      due.push(this);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flushDue);
      }
    } else if (Array.isArray(pending)) pending.push(chunk);
    else this.#pending = [pending, chunk];
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= flushAtBytes) this.flush();
  }

  /** Drops what is queued (a stream destroyed with its buffer). */
  protected discard(): void {
    this.#pending = undefined;
    this.#pendingBytes = 0;
  }

  /**
   * Writes one turn's chunks (one Buffer, or several in order, `bytes` in all) in as few writes as
   * the sink allows. Called from a microtask: it must not throw.
   */
  protected abstract writeOut(chunks: Buffer | readonly Buffer[], bytes: number): void;
}

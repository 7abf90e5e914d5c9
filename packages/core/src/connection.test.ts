import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryBus } from "./bus/memory-bus.js";
import { Connection, type Admission, type CloseReason, type ConnectionHost } from "./connection.js";
import { eventFilter } from "./event-filter.js";
import { Frame } from "./frame.js";
import { resolveOptions } from "./options.js";
import { View } from "./view.js";

/**
 * The rules every transport inherits from `Connection`, on a transport whose socket the test
 * drives: a reader takes some of what is flushed to it (`takes`) and leaves the rest unsent, so
 * `bufferedBytes` is exactly what the bound in docs/protocol.md#load-and-bad-input is about.
 */
class TestConnection extends Connection {
  readonly transport = "sse";
  /** Bytes written this turn, not yet handed to the socket. */
  pending = 0;
  /** Bytes handed to the socket that the peer has not taken. */
  unsent = 0;
  /** How many of the bytes handed to the socket the peer takes at once. */
  takes = 0;
  flushes = 0;
  readonly written: string[] = [];
  readonly ends: CloseReason[] = [];

  get bufferedBytes(): number {
    return this.pending + this.unsent;
  }
  flush(): void {
    this.flushes++;
    this.unsent = Math.max(0, this.unsent + this.pending - this.takes);
    this.pending = 0;
  }
  async drained(): Promise<void> {}
  protected writeFrame(frame: Frame): void {
    this.written.push(frame.id);
    this.pending += frame.json.length;
  }
  sendControl(): void {}
  heartbeat(): void {}
  protected end(reason: CloseReason): void {
    this.ends.push(reason);
  }
  /** The transport's stream is gone (what a socket's `close` event does). */
  gone(): void {
    this.closed_();
  }
}

const maxBufferedBytes = 1_000;
const bus = new MemoryBus();

function host() {
  const closing: Connection[] = [];
  const closed: Connection[] = [];
  const counters = { published: 0, delivered: 0, dropped: 0 };
  const connectionHost: ConnectionHost = {
    options: resolveOptions({ limits: { maxBufferedBytes } }),
    bus,
    counters,
    connectionClosing: (connection) => closing.push(connection),
    connectionClosed: (connection) => closed.push(connection),
  };
  return { connectionHost, closing, closed, counters };
}

function admission(overrides: Partial<Admission> = {}): Admission {
  return {
    view: new View(undefined, []),
    subject: undefined,
    expiresAt: undefined,
    sessionId: undefined,
    filter: eventFilter(undefined, undefined),
    principal: undefined,
    lastEventId: undefined,
    eventLines: false,
    ...overrides,
  };
}

function open(overrides: Partial<Admission> = {}) {
  const h = host();
  return { ...h, connection: new TestConnection(h.connectionHost, admission(overrides)) };
}

/** An event whose JSON, id included, is exactly `bytes` long (what TestConnection counts as written). */
function frame(seq: number, bytes = 100): Frame {
  const id = `${bus.run}-${seq}`;
  const padded = (pad: number) => new Frame({ id, name: "bot.word", session: undefined, json: `{"event":"bot.word","pad":"${"x".repeat(pad)}"}` });
  return padded(bytes - padded(0).json.length);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("Connection: what a resume already sent", () => {
  it("skips live events up to and including the last one the replay sent, then delivers everything after", () => {
    const { connection } = open();
    expect(connection.live).toBe(false);
    connection.goLive(`${bus.run}-5`);
    expect(connection.live).toBe(true);
    for (const seq of [4, 5, 6, 3]) connection.deliver(frame(seq), false);
    // 4 and 5 came from history; 6 is the first live one, and from then on nothing is skipped.
    expect(connection.written).toEqual([`${bus.run}-6`, `${bus.run}-3`]);
  });

  it("skips nothing when the replay sent nothing", () => {
    const { connection } = open();
    connection.goLive(undefined);
    for (const seq of [1, 2]) connection.deliver(frame(seq), false);
    expect(connection.written).toEqual([`${bus.run}-1`, `${bus.run}-2`]);
  });
});

describe("Connection: the buffer bound", () => {
  it("keeps a reader that leaves exactly maxBufferedBytes unsent, and closes one that leaves a byte more", () => {
    const { connection, counters, closing } = open();
    connection.deliver(frame(1, 500), false);
    connection.deliver(frame(2, 500), false);
    expect(connection.bufferedBytes).toBe(maxBufferedBytes);
    expect(connection.ends).toEqual([]);

    const next = open();
    next.connection.deliver(frame(1, 500), false);
    next.connection.deliver(frame(2, 501), false);
    expect(next.connection.ends).toEqual(["slow"]);
    expect(next.counters.dropped).toBe(1);
    expect(next.closing).toEqual([next.connection]);
    expect(counters.dropped).toBe(0);
    expect(closing).toEqual([]);
  });

  it("hands the turn's bytes to the socket before judging: a burst to a reader that keeps up is not slow", () => {
    const { connection } = open();
    connection.takes = Infinity;
    for (let seq = 1; seq <= 5; seq++) connection.deliver(frame(seq, 400), false);
    expect(connection.ends).toEqual([]);
    expect(connection.flushes).toBeGreaterThan(0);
    expect(connection.written).toHaveLength(5);
  });

  it("judges a reader by what it leaves once the turn's bytes are handed over: exactly maxBufferedBytes left is kept", () => {
    const { connection } = open();
    connection.takes = 100;
    connection.deliver(frame(1, 600), false);
    connection.deliver(frame(2, 500), false); // 1,100 buffered; the peer takes 100 of them
    expect(connection.bufferedBytes).toBe(maxBufferedBytes);
    expect(connection.ends).toEqual([]);
    connection.deliver(frame(3, 101), false);
    expect(connection.ends).toEqual(["slow"]);
  });

  it("lets one event bigger than the bound through on its own, and bounds what is added on top of it", () => {
    const { connection } = open();
    connection.deliver(frame(1, 3_000), false);
    expect(connection.ends).toEqual([]);
    // Up to maxBufferedBytes more may wait behind it: exactly that much is kept, a byte more is not.
    connection.deliver(frame(2, 600), false);
    connection.deliver(frame(3, 400), false);
    expect(connection.bufferedBytes).toBe(3_000 + maxBufferedBytes);
    expect(connection.ends).toEqual([]);
    // Within the allowance nothing is flushed early: the turn's writes stay coalesced.
    expect(connection.flushes).toBe(0);
    connection.deliver(frame(4, 100), false);
    expect(connection.ends).toEqual(["slow"]);
  });

  it("gives an event of exactly maxBufferedBytes no allowance: it fits the bound by itself", () => {
    const { connection } = open();
    connection.deliver(frame(1, 100), false);
    connection.deliver(frame(2, maxBufferedBytes), false);
    expect(connection.ends).toEqual(["slow"]);
  });

  it("forgets a big event's allowance once the buffer is back under the bound", () => {
    const { connection } = open();
    connection.deliver(frame(1, 3_000), false);
    connection.pending = 0;
    connection.unsent = 900; // the peer took most of it
    connection.deliver(frame(2, 100), false); // at the bound: the allowance ends here
    expect(connection.ends).toEqual([]);
    connection.deliver(frame(3, 100), false);
    expect(connection.ends).toEqual(["slow"]);
  });
});

describe("Connection: what it sends", () => {
  it("counts every event it writes, and writes nothing once closing", () => {
    const { connection, counters } = open();
    connection.send(frame(1));
    connection.deliver(frame(2), false);
    expect(counters.delivered).toBe(2);
    connection.close("revoked");
    connection.send(frame(3));
    connection.deliver(frame(4), false);
    expect(connection.written).toEqual([`${bus.run}-1`, `${bus.run}-2`]);
    expect(counters.delivered).toBe(2);
  });

  it("delivers only what both its view and its filter let through", () => {
    const seen = new View(new Set(["S"]), []);
    const { connection } = open({ view: seen, filter: eventFilter(["bot.word"], undefined) });
    const event = (seq: number, name: string, session: string | undefined) =>
      new Frame({ id: `${bus.run}-${seq}`, name, session, json: `{"event":"${name}"${session ? `,"sessionId":"${session}"` : ""}}` });
    connection.deliver(event(1, "bot.word", "S"), false);
    connection.deliver(event(2, "bot.word", "T"), false);
    connection.deliver(event(3, "call.ended", "S"), false);
    expect(connection.written).toEqual([`${bus.run}-1`]);
  });

  it("has an id of its own, c and a base-36 number", () => {
    const ids = [open().connection.id, open().connection.id];
    for (const id of ids) expect(id).toMatch(/^c[0-9a-z]+$/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});

describe("Connection: closing", () => {
  it("tells the host once that it is closing, ends the stream once, and once more only to hurry it for a shutdown", () => {
    const { connection, closing, closed } = open();
    connection.close("slow");
    connection.close("revoked");
    expect(connection.closing).toBe(true);
    expect(closing).toEqual([connection]);
    expect(connection.ends).toEqual(["slow"]);
    connection.close("shutdown");
    expect(connection.ends).toEqual(["slow", "shutdown"]);
    expect(closing).toEqual([connection]);
    expect(closed).toEqual([]);
    expect(connection.closed).toBe(false);
  });

  it("is closed once when its stream is gone, its listeners called once, and then ignores close", () => {
    const { connection, closed, closing } = open();
    const calls: string[] = [];
    connection.onClose(() => calls.push("first"));
    connection.gone();
    connection.gone();
    expect(connection.closed).toBe(true);
    expect(connection.closing).toBe(true);
    expect(closed).toEqual([connection]);
    expect(calls).toEqual(["first"]);
    connection.onClose(() => calls.push("late"));
    expect(calls).toEqual(["first", "late"]);
    connection.close("shutdown");
    expect(connection.ends).toEqual([]);
    expect(closing).toEqual([]);
  });

  it("cancels its end timer when it closes, whatever closed it", () => {
    vi.useFakeTimers();
    const byClose = open({ expiresAt: Date.now() + 60_000 });
    expect(vi.getTimerCount()).toBe(1);
    byClose.connection.close("revoked");
    expect(vi.getTimerCount()).toBe(0);

    const byPeer = open({ expiresAt: Date.now() + 60_000 });
    byPeer.connection.endAfter(30_000);
    expect(vi.getTimerCount()).toBe(1);
    byPeer.connection.gone();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(120_000);
    expect([...byClose.connection.ends, ...byPeer.connection.ends]).toEqual(["revoked"]);
  });

  it("keeps the grant's expiry when maxStreamMs would end the stream at the same moment", () => {
    vi.useFakeTimers();
    const { connection } = open({ expiresAt: Date.now() + 1_000 });
    connection.endAfter(1_000);
    vi.advanceTimersByTime(1_000);
    expect(connection.ends).toEqual(["expired"]);
  });

  it("sets no end once closing", () => {
    vi.useFakeTimers();
    const { connection } = open();
    connection.close("revoked");
    connection.endAfter(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});

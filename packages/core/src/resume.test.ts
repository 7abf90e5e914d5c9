import { describe, expect, it } from "vitest";
import type { BusReadResult } from "./bus/bus.js";
import { memoryBus } from "./bus/memory-bus.js";
import type { Connection } from "./connection.js";
import { ReplayCompactor } from "./compaction.js";
import { catchUp } from "./resume.js";

/** What a replay writes, in order: event ids, and control messages as JSON. */
function recordingConnection(): { connection: Connection; written: string[] } {
  const written: string[] = [];
  const connection = {
    closing: false,
    bufferedBytes: 0,
    wants: () => true,
    send: (frame: { id: string }) => void written.push(frame.id),
    sendControl: (json: string) => void written.push(json),
    drained: () => Promise.resolve(),
  };
  return { connection: connection as unknown as Connection, written };
}

describe("catchUp (docs/protocol.md#resume)", () => {
  it("sends a gap, naming the last id it sent, when the history moves past a replay between two pages", async () => {
    // Regression: a replay that waited between pages (a reader draining slowly) while the history
    // was trimmed past its cursor went on from the oldest retained event without a word.
    const bus = memoryBus();
    await bus.open({ history: { maxEvents: 300, maxAgeMs: 60_000 }, onEvent() {}, onError() {} });
    const record = { name: "bot.word", session: undefined, json: '{"event":"bot.word"}' };
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(await bus.publish(record));
    const read = bus.read.bind(bus);
    let reads = 0;
    bus.read = async (afterId: string | undefined, limit: number): Promise<BusReadResult> => {
      // Before the second page, 600 more events push the rest of the replay out of the history.
      if (++reads === 2) for (let i = 0; i < 600; i++) ids.push(await bus.publish(record));
      return read(afterId, limit);
    };
    const { connection, written } = recordingConnection();
    let liveFrom: string | undefined;
    await catchUp(connection, ids[0]!, { bus, optIn: new Set(), highWaterBytes: 1 << 20, dispatchedThrough: () => ids.at(-1), goLive: (id) => (liveFrom = id) });
    expect(written).toEqual([...ids.slice(1, 257), JSON.stringify({ event: "gap", lastEventId: ids[256], reason: "overrun" }), ...ids.slice(600)]);
    expect(liveFrom).toBe(ids.at(-1));
  });

  it("sends one gap, naming the client's id, when that id cannot be resumed", async () => {
    const bus = memoryBus();
    await bus.open({ history: { maxEvents: 300, maxAgeMs: 60_000 }, onEvent() {}, onError() {} });
    const ids = [await bus.publish({ name: "x", session: undefined, json: '{"event":"x"}' })];
    const { connection, written } = recordingConnection();
    await catchUp(connection, "unknown", { bus, optIn: new Set(), highWaterBytes: 1 << 20, dispatchedThrough: () => ids.at(-1), goLive: () => {} });
    expect(written).toEqual([JSON.stringify({ event: "gap", lastEventId: "unknown", reason: "unknown" }), ids[0]]);
  });

  it("tells the host once per resume, after the first of several pages", async () => {
    const bus = memoryBus();
    await bus.open({ history: { maxEvents: 1_000, maxAgeMs: 60_000 }, onEvent() {}, onError() {} });
    const ids: string[] = [];
    for (let i = 0; i < 600; i++) ids.push(await bus.publish({ name: "x", session: undefined, json: '{"event":"x"}' }));
    const { connection, written } = recordingConnection();
    const told: unknown[] = [];
    await catchUp(connection, ids[0]!, { bus, optIn: new Set(), highWaterBytes: 1 << 20, dispatchedThrough: () => ids.at(-1), goLive: () => {}, resumed: (gap) => void told.push(gap) });
    expect({ told, written: written.length }).toEqual({ told: [undefined], written: 599 });
  });

  it("waits for the connection to drain once its buffer is past highWaterBytes, not at it", async () => {
    const bus = memoryBus();
    await bus.open({ history: { maxEvents: 100, maxAgeMs: 60_000 }, onEvent() {}, onError() {} });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await bus.publish({ name: "x", session: undefined, json: '{"event":"x"}' }));
    const { connection, written } = recordingConnection();
    // Each event buffers 100 bytes until a drain: the bound (1,000) is reached at the 10th and
    // passed at the 11th, so the replay waits after every 11th.
    let buffered = 0;
    Object.defineProperty(connection, "bufferedBytes", { get: () => buffered });
    const send = connection.send.bind(connection);
    connection.send = (frame) => ((buffered += 100), send(frame));
    connection.drained = async () => void (written.push("drain"), (buffered = 0));
    await catchUp(connection, ids[0]!, { bus, optIn: new Set(), highWaterBytes: 1_000, dispatchedThrough: () => ids.at(-1), goLive: () => {} });
    expect(written).toEqual([...ids.slice(1, 12), "drain", ...ids.slice(12, 23), "drain", ...ids.slice(23)]);
  });

  it("stops, without going live, when the connection closes during a read or while it drains", async () => {
    const bus = memoryBus();
    await bus.open({ history: { maxEvents: 100, maxAgeMs: 60_000 }, onEvent() {}, onError() {} });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await bus.publish({ name: "x", session: undefined, json: '{"event":"x"}' }));
    const read = bus.read.bind(bus);
    let closeDuringRead = true;
    bus.read = async (afterId, limit) => {
      const result = await read(afterId, limit);
      if (closeDuringRead) (connection as { closing: boolean }).closing = true;
      return result;
    };
    let { connection, written } = recordingConnection();
    const wentLive: unknown[] = [];
    const host = { bus, optIn: new Set<string>(), highWaterBytes: 0, dispatchedThrough: () => ids.at(-1), goLive: (id: string | undefined) => void wentLive.push(id) };
    await catchUp(connection, ids[0]!, host);
    expect({ written, wentLive }).toEqual({ written: [], wentLive: [] });

    closeDuringRead = false;
    ({ connection, written } = recordingConnection());
    Object.defineProperty(connection, "bufferedBytes", { get: () => 1 });
    connection.drained = async () => void ((connection as { closing: boolean }).closing = true);
    await catchUp(connection, ids[0]!, host);
    expect({ written, wentLive }).toEqual({ written: [ids[1]], wentLive: [] });
  });

  it("reads again when an event was routed while it read, so that event is not lost to the switch to live", async () => {
    const bus = memoryBus();
    await bus.open({ history: { maxEvents: 100, maxAgeMs: 60_000 }, onEvent() {}, onError() {} });
    const record = { name: "x", session: undefined, json: '{"event":"x"}' };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await bus.publish(record));
    const read = bus.read.bind(bus);
    let reads = 0;
    bus.read = async (afterId, limit) => {
      const result = await read(afterId, limit);
      // Published and routed to live connections after this page was read.
      if (++reads === 1) ids.push(await bus.publish(record));
      return result;
    };
    const { connection, written } = recordingConnection();
    let liveFrom: string | undefined;
    await catchUp(connection, ids[0]!, { bus, optIn: new Set(), highWaterBytes: 1 << 20, dispatchedThrough: () => ids.at(-1), goLive: (id) => (liveFrom = id) });
    expect({ written, liveFrom }).toEqual({ written: ids.slice(1), liveFrom: ids[3] });
  });

  it("goes live after the history when the hub has routed nothing yet (a fresh process resuming from the bus)", async () => {
    const bus = memoryBus();
    await bus.open({ history: { maxEvents: 100, maxAgeMs: 60_000 }, onEvent() {}, onError() {} });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await bus.publish({ name: "x", session: undefined, json: '{"event":"x"}' }));
    const { connection, written } = recordingConnection();
    let liveFrom: string | undefined;
    await catchUp(connection, ids[0]!, { bus, optIn: new Set(), highWaterBytes: 1 << 20, dispatchedThrough: () => undefined, goLive: (id) => (liveFrom = id) });
    expect({ written, liveFrom }).toEqual({ written: ids.slice(1), liveFrom: ids[2] });
  });

  it("keeps the bus's reason for a gap on a later read other than expired (a reset), then goes live", async () => {
    const bus = memoryBus();
    await bus.open({ history: { maxEvents: 300, maxAgeMs: 60_000 }, onEvent() {}, onError() {} });
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(await bus.publish({ name: "x", session: undefined, json: '{"event":"x"}' }));
    const read = bus.read.bind(bus);
    let reads = 0;
    // The second read answers as a bus whose history was reset under the replay.
    bus.read = async (afterId, limit) => (++reads === 2 ? { events: [], gap: "reset" } : read(afterId, limit));
    const { connection, written } = recordingConnection();
    let wentLive = false;
    await catchUp(connection, ids[0]!, { bus, optIn: new Set(), highWaterBytes: 1 << 20, dispatchedThrough: () => ids.at(-1), goLive: () => (wentLive = true) });
    expect({ written, wentLive }).toEqual({ written: [...ids.slice(1, 257), JSON.stringify({ event: "gap", lastEventId: ids[256], reason: "reset" })], wentLive: true });
  });

  it("compacts runs of one name: two compacted names in a row in one session are two runs", async () => {
    const bus = memoryBus();
    await bus.open({ history: { maxEvents: 100, maxAgeMs: 60_000 }, onEvent() {}, onError() {} });
    const ids: string[] = [];
    for (const name of ["start", "a", "a", "b", "b"]) ids.push(await bus.publish({ name, session: "S", json: `{"event":"${name}","callId":"S"}` }));
    const merge = (run: { event: string }[]) => ({ ...run.at(-1)!, merged: run.length });
    const compactor = new ReplayCompactor({ a: merge, b: merge }, "callId", { warn() {}, error() {} });
    const { connection, written } = recordingConnection();
    await catchUp(connection, ids[0]!, { bus, optIn: new Set(), highWaterBytes: 1 << 20, dispatchedThrough: () => ids.at(-1), goLive: () => {}, compactor });
    // Each merged event carries the id of its run's last event.
    expect(written).toEqual([ids[2], ids[4]]);
  });
});

import { describe, expect, it } from "vitest";
import type { BusReadResult } from "./bus/bus.js";
import { memoryBus } from "./bus/memory-bus.js";
import type { Connection } from "./connection.js";
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
});

import { describe, expect, it } from "vitest";
import type { BusEvent } from "./bus.js";
import { MemoryBus } from "./memory-bus.js";

function openBus(options: { maxEvents?: number; maxAgeMs?: number; now?: () => number } = {}) {
  const bus = new MemoryBus({ now: options.now });
  const delivered: BusEvent[] = [];
  void bus.open({ history: { maxEvents: options.maxEvents ?? 100, maxAgeMs: options.maxAgeMs ?? 60_000 }, onEvent: (e) => delivered.push(e), onError() {} });
  return { bus, delivered };
}

const record = (name: string) => ({ name, session: undefined, json: `{"event":"${name}"}` });

describe("MemoryBus", () => {
  it("assigns increasing ids and hands each event to the hub synchronously", async () => {
    const { bus, delivered } = openBus();
    const a = await bus.publish(record("a"));
    const b = await bus.publish(record("b"));
    expect(bus.compareIds(a, b)).toBeLessThan(0);
    expect(bus.compareIds(b, a)).toBeGreaterThan(0);
    expect(bus.compareIds(a, a)).toBe(0);
    expect(delivered.map((e) => e.id)).toEqual([a, b]);
  });

  it("issues ids that never repeat across a restart and order after the earlier run's", async () => {
    let now = 1_700_000_000_000;
    const first = openBus({ now: () => now }).bus;
    const old = [await first.publish(record("a")), await first.publish(record("b"))];
    now += 1;
    const second = openBus({ now: () => now }).bus;
    const fresh = [await second.publish(record("a")), await second.publish(record("b"))];
    expect(new Set([...old, ...fresh]).size).toBe(4);
    for (const id of fresh) for (const earlier of old) expect(second.compareIds(earlier, id)).toBeLessThan(0);
    // An id from the earlier run cannot be resumed exactly: a gap, then everything retained.
    const read = await second.read(old[1], 10);
    expect(read.gap).toBe("reset");
    expect(read.events.map((e) => e.id)).toEqual(fresh);
  });

  it("keeps at most maxEvents", async () => {
    const { bus } = openBus({ maxEvents: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await bus.publish(record(`e${i}`)));
    const all = await bus.read(undefined, 10);
    expect(all).toEqual({ events: expect.any(Array) });
    expect("gap" in all).toBe(false);
    expect(all.events.map((e) => e.id)).toEqual(ids.slice(2));
    expect((await bus.read(ids[1], 10)).gap).toBeUndefined();
    expect((await bus.read(ids[0], 10)).gap).toBe("expired");
  });

  it("drops events older than maxAgeMs", async () => {
    let now = 0;
    const { bus } = openBus({ maxAgeMs: 1_000, now: () => now });
    const old = await bus.publish(record("old"));
    now = 600;
    const recent = await bus.publish(record("recent"));
    now = 1_200;
    const read = await bus.read(undefined, 10);
    expect(read.events.map((e) => e.id)).toEqual([recent]);
    expect((await bus.read(old, 10)).gap).toBeUndefined(); // the event right after `old` is still here
    now = 1_700;
    expect(await bus.read(undefined, 10)).toStrictEqual({ events: [] });
    expect((await bus.read(old, 10)).gap).toBe("expired");
    expect(await bus.read(recent, 10)).toStrictEqual({ events: [] });
  });

  it("pages with limit, and treats malformed or future ids as an unknown gap", async () => {
    const { bus } = openBus();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await bus.publish(record(`e${i}`)));
    expect((await bus.read(ids[0], 2)).events.map((e) => e.id)).toEqual(ids.slice(1, 3));
    expect((await bus.read(ids[4], 2)).events).toEqual([]);
    const future = `${bus.run}-99`;
    for (const bad of ["garbage", "", `${bus.run}-`, `${bus.run}-0x1`, future, `${bus.run}-1e3`]) {
      const read = await bus.read(bad, 2);
      expect([bad, read.gap, read.events.map((e) => e.id)]).toEqual([bad, "unknown", ids.slice(0, 2)]);
    }
  });

  it("compacts its storage without changing what it returns", async () => {
    const { bus } = openBus({ maxEvents: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 5_000; i++) ids.push(await bus.publish(record(`e${i}`)));
    expect((await bus.read(undefined, 100)).events.map((e) => e.id)).toEqual(ids.slice(-10));
    expect((await bus.read(ids.at(-3), 100)).events.map((e) => e.id)).toEqual(ids.slice(-2));
  });

  it("gives a cursor that resumes exactly after the newest event, also before the first one", async () => {
    const { bus } = openBus({ maxEvents: 2 });
    const empty = await bus.cursor();
    expect(empty).toBe(`${bus.run}-0`);
    expect(await bus.read(empty, 10)).toStrictEqual({ events: [] });
    const a = await bus.publish(record("a"));
    expect((await bus.read(empty, 10)).events.map((e) => e.id)).toEqual([a]);
    const b = await bus.publish(record("b"));
    const cursor = await bus.cursor();
    expect(cursor).toBe(b);
    const c = await bus.publish(record("c"));
    expect(await bus.read(cursor, 10)).toStrictEqual({ events: [expect.objectContaining({ id: c })] });
    // Once the history has moved past the first event, the empty bus's cursor lost it.
    expect((await bus.read(empty, 10)).gap).toBe("expired");
  });
});

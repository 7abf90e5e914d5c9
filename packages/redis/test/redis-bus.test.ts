import { until } from "@eventwire/conformance";
import { RecordingContext, openBuses, publishConcurrently, record } from "@eventwire/conformance/bus";
import type { Bus } from "@eventwire/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBus, type RedisBusOptions } from "../src/index.js";
import { deleteStream, REDIS_URL, runRedisTests } from "./redis-servers.js";

// What only Redis does; the contract every bus keeps is in bus-conformance.test.ts.
describe.skipIf(!runRedisTests)("redisBus on the shared Redis", () => {
  let admin: Redis;
  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await admin.quit();
  });

  /** An open bus on a fresh stream (or on `options.stream`), closed and deleted after the test. */
  const openBus = openBuses((options: RedisBusOptions & { stream: string }) => redisBus({ url: REDIS_URL, ...options }), deleteStream);

  const publishAll = (bus: Bus, count: number, from = 1): Promise<string[]> => publishConcurrently(bus, from, count, "S1");

  /** The parts of an id: `<epoch>:<ms>-<seq>`. */
  const parts = (id: string): { epoch: string; ms: bigint; seq: bigint } => {
    const match = /^([0-9a-z]{14}):(\d+)-(\d+)$/.exec(id);
    if (!match) throw new Error(`not a Redis bus id: ${id}`);
    return { epoch: match[1]!, ms: BigInt(match[2]!), seq: BigInt(match[3]!) };
  };

  it("reads an empty (not yet created) stream as empty; a well-formed id against it is a reset, any other string unknown", async () => {
    const { bus } = await openBus();
    expect(await bus.read(undefined, 10)).toStrictEqual({ events: [] });
    expect(await bus.read("0hop2x1nyu8w8m:1-0", 10)).toEqual({ gap: "reset", events: [] });
    expect(await bus.read("1796191356990-0", 10)).toEqual({ gap: "unknown", events: [] }); // the format before epochs
  });

  it("gives a cursor that resumes exactly after the newest entry, also before the stream exists (it starts the epoch)", async () => {
    const { bus, context, stream } = await openBus();
    const empty = await bus.cursor();
    expect(await admin.get(`${stream}:epoch`)).toBe(parts(empty).epoch);
    expect(await bus.read(empty, 10)).toStrictEqual({ events: [] });
    expect(await bus.cursor()).toBe(empty); // nothing new: the same point
    const [a] = await publishAll(bus, 1);
    expect(parts(a!).epoch).toBe(parts(empty).epoch);
    expect((await bus.read(empty, 10)).events.map((event) => event.id)).toEqual([a]);
    expect((await bus.read(undefined, 10)).events.map((event) => event.id)).toEqual([a]); // the epoch's mark is no event
    const cursor = await bus.cursor();
    expect(cursor).toBe(a);
    const [b] = await publishAll(bus, 1, 2);
    expect((await bus.read(cursor, 10)).events.map((event) => event.id)).toEqual([b]);
    await until(() => context.events.length === 2, "2 events");
    expect(context.ids()).toEqual([a, b]);
    expect(context.errors).toEqual([]); // the mark is skipped silently
  });

  it("tells each reason: expired (trimmed, or XDEL'd after it), unknown (never issued, newer than the newest, malformed, another epoch's from the future)", async () => {
    const { bus, stream } = await openBus();
    const [first] = await publishAll(bus, 1);
    const { epoch, ms } = parts(first!);
    const laterEntry = (await admin.xadd(stream, `${ms + 10n}-0`, "epoch", epoch, "name", "tick", "json", '{"event":"tick","n":2}'))!;
    const later = `${epoch}:${laterEntry}`;
    const all = (await bus.read(undefined, 10)).events;
    expect(all.map((event) => event.id)).toEqual([first, later]);
    expect(await bus.read(`${epoch}:${ms + 5n}-0`, 10)).toEqual({ gap: "unknown", events: all }); // between entries, never issued
    expect(await bus.read(`${epoch}:${ms + 11n}-0`, 10)).toEqual({ gap: "unknown", events: all }); // newer than the newest
    expect(await bus.read(`${"z".repeat(14)}:${ms}-0`, 10)).toEqual({ gap: "unknown", events: all }); // an epoch after this one
    expect(await bus.read(`${epoch}:${ms - 1n}-0`, 10)).toEqual({ gap: "expired", events: all }); // before the oldest entry
    expect(await bus.read(`${epoch.slice(0, 13)}:${ms}-0`, 10)).toEqual({ gap: "unknown", events: all }); // malformed
    expect((await bus.read(first, 10)).events.map((event) => event.id)).toEqual([later]);
    const [third, fourth] = await publishAll(bus, 2, 3);
    await admin.xdel(stream, parts(third!).ms + "-" + parts(third!).seq);
    const kept = (await bus.read(undefined, 10)).events;
    expect(kept.map((event) => event.id)).toEqual([first, later, fourth]);
    expect(await bus.read(later, 10)).toEqual({ gap: "expired", events: kept }); // `third` is lost to it
    expect(await bus.read(third, 10)).toEqual({ gap: "expired", events: kept }); // deleted from the history
    expect(await bus.read(fourth, 10)).toStrictEqual({ events: [] });
  });

  it("starts a new epoch when the stream is deleted but its epoch key survives: older ids resume with reset, also where an entry id repeats", async () => {
    const { bus, context, stream } = await openBus();
    const before = await publishAll(bus, 3);
    await until(() => context.events.length === 3, "3 events");
    await admin.del(stream); // the epoch key stays
    const after = await publishAll(bus, 2, 4);
    expect(parts(after[0]!).epoch).not.toBe(parts(before[0]!).epoch);
    expect(bus.compareIds(before[2]!, after[0]!)).toBeLessThan(0); // a later epoch sorts after
    expect(await admin.get(`${stream}:epoch`)).toBe(parts(after[0]!).epoch);
    const events = (await bus.read(undefined, 10)).events;
    expect(events.map((event) => event.id)).toEqual(after);
    for (const id of before) expect(await bus.read(id, 10)).toEqual({ gap: "reset", events });
    // An entry with the very entry id of an earlier epoch's event is another event: still a reset.
    const [, reused] = after[1]!.split(":");
    expect(await bus.read(`${parts(before[0]!).epoch}:${reused}`, 10)).toEqual({ gap: "reset", events });
    await until(() => context.events.length === 5, "the new epoch's events, live");
    expect(context.ids()).toEqual([...before, ...after]);
  });

  it("starts a new epoch when only the epoch key is deleted; the stream's older entries still resume exactly", async () => {
    const { bus, context, stream } = await openBus();
    const before = await publishAll(bus, 2);
    await admin.del(`${stream}:epoch`);
    const after = await publishAll(bus, 2, 3);
    expect(parts(after[0]!).epoch).not.toBe(parts(before[0]!).epoch);
    const events = (await bus.read(undefined, 10)).events;
    expect(events.map((event) => event.id)).toEqual([...before, ...after]);
    expect(await bus.read(before[0], 10)).toStrictEqual({ events: events.slice(1) }); // nothing was lost after it
    await until(() => context.events.length === 4, "4 events");
    expect(context.ids()).toEqual([...before, ...after]);
  });

  it("trims exactly to maxEvents with trim: exact; a resume from a trimmed id is a gap, from a kept one is not", async () => {
    const { bus, stream } = await openBus({ maxEvents: 5 }, { trim: "exact" });
    const ids = await publishAll(bus, 12);
    expect(await admin.xlen(stream)).toBe(5);
    const kept = await bus.read(undefined, 100);
    expect(kept.gap).toBeUndefined();
    expect(kept.events.map((event) => event.id)).toEqual(ids.slice(7));
    // older than the history: gap, then the oldest retained
    expect(await bus.read(ids[0], 100)).toEqual({ gap: "expired", events: kept.events });
    expect(await bus.read(ids[5], 100)).toEqual({ gap: "expired", events: kept.events });
    // Even the newest trimmed id: Redis does not say which id preceded the oldest entry, so
    // the bus cannot tell that nothing after it was lost (a gap, but every retained event).
    expect(await bus.read(ids[6], 100)).toEqual({ gap: "expired", events: kept.events });
    expect(await bus.read(ids[7], 100)).toStrictEqual({ events: kept.events.slice(1) });
  });

  it("with an unbounded maxEvents, publishes and marks the epoch without MAXLEN", async () => {
    const { bus, stream } = await openBus({ maxEvents: Infinity });
    const empty = await bus.cursor();
    const ids = await publishAll(bus, 3);
    expect(await admin.xlen(stream)).toBe(4); // the epoch's mark and the three events
    expect((await bus.read(empty, 10)).events.map((event) => event.id)).toEqual(ids);
  });

  it("bounds the history by age (XTRIM MINID on Redis's clock) after a later publish", async () => {
    const { bus, stream } = await openBus({ maxAgeMs: 150 }, { ageTrimIntervalMs: 10 });
    const old = await publishAll(bus, 3);
    await new Promise((resolve) => setTimeout(resolve, 250)); // let the first three age past maxAgeMs
    const [fresh] = await publishAll(bus, 1, 4);
    let length = 0;
    for (let i = 0; i < 100 && (length = await admin.xlen(stream)) > 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(length).toBe(1);
    expect(await bus.read(old[2], 10)).toEqual({ gap: "expired", events: [expect.objectContaining({ id: fresh })] });
  });

  it("keeps delivering live events published at once after the stream is deleted (DEL) and re-created", async () => {
    const { bus, context, stream } = await openBus();
    const before = await publishAll(bus, 2);
    await until(() => context.events.length === 2, "2 events");
    await admin.del(stream);
    const after = await publishAll(bus, 2, 3);
    await until(() => context.events.length === 4, "4 events");
    expect(context.ids()).toEqual([...before, ...after]);
  });

  it("starts a new epoch when the epoch key holds something else", async () => {
    const { bus, context, stream } = await openBus();
    const [before] = await publishAll(bus, 1);
    await admin.set(`${stream}:epoch`, "not an epoch");
    const [after] = await publishAll(bus, 1, 2);
    expect(parts(after!).epoch).not.toBe(parts(before!).epoch);
    expect((await bus.read(undefined, 10)).events.map((event) => event.id)).toEqual([before, after]);
    await until(() => context.events.length === 2, "2 events");
    expect(context.ids()).toEqual([before, after]);
  });

  it("orders ids by epoch, then entry id numerically, millisecond part first", async () => {
    const bus = redisBus({ url: REDIS_URL });
    const e = "0hop2x1nyu8w8m";
    expect(bus.compareIds(`${e}:9-0`, `${e}:10-0`)).toBeLessThan(0);
    expect(bus.compareIds(`${e}:10-0`, `${e}:9-0`)).toBeGreaterThan(0);
    expect(bus.compareIds(`${e}:5-9`, `${e}:5-10`)).toBeLessThan(0);
    expect(bus.compareIds(`${e}:5-10`, `${e}:5-10`)).toBe(0);
    expect(bus.compareIds(`${e}:18446744073709551615-0`, `${e}:18446744073709551614-9`)).toBeGreaterThan(0);
    expect(bus.compareIds(`${e}:1700000000001-0`, "0hop2x1nyu8w8n:1700000000000-0")).toBeLessThan(0); // a later epoch, whatever its entry ids
    await bus.close();
  });

  it("works with a client the user passes, and leaves it connected on close", async () => {
    const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
    try {
      const listeners = client.listenerCount("ready");
      const { bus, context } = await openBus({}, { client });
      const ids = await publishAll(bus, 3);
      await until(() => context.events.length === 3, "3 events");
      expect(context.ids()).toEqual(ids);
      await bus.close();
      expect(client.listenerCount("ready")).toBe(listeners); // it reloads its scripts on "ready" only while open
      expect(client.status).toBe("ready");
      expect(await client.ping()).toBe("PONG");
      await expect(bus.publish(record("tick", 9))).rejects.toThrow("@eventwire/redis: cannot publish: the bus is closed");
    } finally {
      client.disconnect();
    }
  });

  it("closes its own connections and stops delivering", async () => {
    const { bus, context, stream } = await openBus();
    const clients = async (): Promise<number> =>
      ((await admin.client("LIST")) as string).split("\n").filter((line) => / name=eventwire(-reader|-control)? /.test(line)).length;
    const before = await clients();
    expect(before).toBeGreaterThanOrEqual(3); // publishing, reading, control
    await bus.close();
    let after = before;
    for (let i = 0; i < 100 && (after = await clients()) > before - 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(after).toBe(before - 3);
    await admin.xadd(stream, "*", "name", "late", "json", "{}");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(context.events).toEqual([]);
    await expect(bus.read(undefined, 1)).rejects.toThrow("the bus is closed");
  });

  it("rejects a second open and bad options", async () => {
    const { bus } = await openBus();
    await expect(bus.open(new RecordingContext())).rejects.toThrow("open() was already called");
    expect(() => redisBus({ stream: "" })).toThrow(TypeError);
    expect(() => redisBus({ blockMs: 0 })).toThrow("`blockMs` must be a positive number");
  });
});

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

  it("reads an empty (not yet created) stream as empty, and any id against it as a gap", async () => {
    const { bus } = await openBus();
    expect(await bus.read(undefined, 10)).toStrictEqual({ events: [] });
    expect(await bus.read("1-0", 10)).toEqual({ gap: "reset", events: [] });
  });

  it("gives a cursor that resumes exactly after the newest entry, also before the stream exists", async () => {
    const { bus } = await openBus();
    const empty = await bus.cursor();
    expect(empty).toBe("0-0");
    expect(await bus.read(empty, 10)).toStrictEqual({ events: [] });
    const [a] = await publishAll(bus, 1);
    expect((await bus.read(empty, 10)).events.map((event) => event.id)).toEqual([a]);
    const cursor = await bus.cursor();
    expect(cursor).toBe(a);
    const [b] = await publishAll(bus, 1, 2);
    expect((await bus.read(cursor, 10)).events.map((event) => event.id)).toEqual([b]);
  });

  it("answers a gap when an entry after the id was deleted (XDEL), and for an id this stream never issued", async () => {
    const { bus, stream } = await openBus();
    const [first] = await publishAll(bus, 1);
    const [ms] = first!.split("-");
    const later = (await admin.xadd(stream, `${BigInt(ms!) + 10n}-0`, "name", "tick", "json", '{"event":"tick","n":2}'))!;
    const unknown = `${BigInt(ms!) + 5n}-0`;
    expect(await bus.read(unknown, 10)).toEqual({
      gap: "unknown",
      events: (await bus.read(undefined, 10)).events,
    });
    expect((await bus.read(first, 10)).events.map((event) => event.id)).toEqual([later]);
    const [third, fourth] = await publishAll(bus, 2, 3);
    await admin.xdel(stream, third!);
    const kept = (await bus.read(undefined, 10)).events;
    expect(kept.map((event) => event.id)).toEqual([first, later, fourth]);
    expect(await bus.read(later, 10)).toEqual({ gap: "expired", events: kept }); // `third` is lost to it
    expect(await bus.read(third, 10)).toEqual({ gap: "unknown", events: kept });
    expect(await bus.read(fourth, 10)).toStrictEqual({ events: [] });
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

  it("orders ids numerically, millisecond part first", async () => {
    const bus = redisBus({ url: REDIS_URL });
    expect(bus.compareIds("9-0", "10-0")).toBeLessThan(0);
    expect(bus.compareIds("10-0", "9-0")).toBeGreaterThan(0);
    expect(bus.compareIds("5-9", "5-10")).toBeLessThan(0);
    expect(bus.compareIds("5-10", "5-10")).toBe(0);
    expect(bus.compareIds("1700000000000-5", "1700000000001-0")).toBeLessThan(0);
    expect(bus.compareIds("18446744073709551615-0", "18446744073709551614-9")).toBeGreaterThan(0);
    await bus.close();
  });

  it("works with a client the user passes, and leaves it connected on close", async () => {
    const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
    try {
      const { bus, context } = await openBus({}, { client });
      const ids = await publishAll(bus, 3);
      await until(() => context.events.length === 3, "3 events");
      expect(context.ids()).toEqual(ids);
      await bus.close();
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

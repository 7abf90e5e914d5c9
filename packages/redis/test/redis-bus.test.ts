import type { Bus, BusEvent } from "@eventwire/core";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { redisBus, type RedisBusOptions } from "../src/index.js";
import { RecordingContext, record } from "./bus-context.js";
import { REDIS_URL, runRedisTests, sparePort, uniqueStream } from "./redis-servers.js";
import { until } from "./wait.js";

describe.skipIf(!runRedisTests)("redisBus on the shared Redis", () => {
  let admin: Redis;
  const streams: string[] = [];
  const open: Bus[] = [];

  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((bus) => bus.close()));
    if (streams.length) await admin.del(...streams.splice(0));
  });
  afterAll(async () => {
    await admin.quit();
  });

  /** An open bus on a fresh stream (or on `stream`), closed after the test. */
  async function openBus(
    history: Partial<RecordingContext["history"]> = {},
    options: RedisBusOptions = {},
  ): Promise<{ bus: Bus; context: RecordingContext; stream: string }> {
    const stream = options.stream ?? uniqueStream();
    if (!streams.includes(stream)) streams.push(stream);
    const bus = redisBus({ url: REDIS_URL, ...options, stream });
    const context = new RecordingContext(history);
    await bus.open(context);
    open.push(bus);
    return { bus, context, stream };
  }

  async function publishAll(bus: Bus, count: number, from = 1): Promise<string[]> {
    return Promise.all(Array.from({ length: count }, (_, i) => bus.publish(record("tick", from + i, "S1"))));
  }

  const ns = (events: readonly BusEvent[]): number[] => events.map((event) => JSON.parse(event.json).n as number);

  it("assigns increasing stream ids in publish order and delivers each event once, in that order", async () => {
    const { bus, context } = await openBus();
    const ids = await publishAll(bus, 20);
    for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
    for (let i = 1; i < ids.length; i++) expect(bus.compareIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    await until(() => context.events.length >= 20, "20 events");
    expect(context.ids()).toEqual(ids);
    expect(ns(context.events)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(context.events[0]).toEqual({ id: ids[0], name: "tick", session: "S1", json: '{"event":"tick","sessionId":"S1","n":1}' });
    expect(context.errors).toEqual([]);
  });

  it("keeps an event without a session, and any JSON text, exactly", async () => {
    const { bus, context } = await openBus();
    const json = JSON.stringify({ event: "bot.word", text: "héllo \n \"quoted\" 🎉", nested: { a: [1, null] } });
    const id = await bus.publish({ name: "bot.word", session: undefined, json });
    await until(() => context.events.length === 1, "the event");
    expect(context.events).toEqual([{ id, name: "bot.word", session: undefined, json }]);
    expect((await bus.read(undefined, 10)).events).toEqual([{ id, name: "bot.word", session: undefined, json }]);
  });

  it("two buses on one stream (two processes) both receive every event once, in one order, with the same ids", async () => {
    const { bus: a, context: ca, stream } = await openBus();
    const { bus: b, context: cb } = await openBus({}, { stream });
    const published = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => a.publish(record("from.a", i))),
      ...Array.from({ length: 10 }, (_, i) => b.publish(record("from.b", i))),
    ]);
    await until(() => ca.events.length >= 20 && cb.events.length >= 20, "20 events on each bus");
    expect(ca.events).toEqual(cb.events);
    expect(ca.events).toHaveLength(20);
    expect([...ca.ids()].sort(a.compareIds.bind(a))).toEqual(ca.ids()); // in id order
    expect([...published].sort(a.compareIds.bind(a))).toEqual(ca.ids()); // exactly the published ids
    // each publisher's own events keep their publish order
    expect(ns(ca.events.filter((event) => event.name === "from.a"))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ns(ca.events.filter((event) => event.name === "from.b"))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("a bus opened later receives only what is published after it opened", async () => {
    const { bus: a, stream } = await openBus();
    await publishAll(a, 3);
    const { context: cb } = await openBus({}, { stream });
    const later = await publishAll(a, 2, 4);
    await until(() => cb.events.length >= 2, "2 events");
    expect(cb.ids()).toEqual(later);
  });

  it("reads from the oldest, after an id, and in pages that cover the history exactly once", async () => {
    const { bus } = await openBus();
    const ids = await publishAll(bus, 25);
    const all = await bus.read(undefined, 100);
    expect(all.gap).toBe(false);
    expect(all.events.map((event) => event.id)).toEqual(ids);
    expect(ns(all.events)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));

    const after = await bus.read(ids[9], 100);
    expect(after).toEqual({ gap: false, events: all.events.slice(10) });

    const firstPage = await bus.read(undefined, 4);
    expect(firstPage).toEqual({ gap: false, events: all.events.slice(0, 4) });

    const paged: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await bus.read(cursor, 7);
      expect(page.gap).toBe(false);
      if (page.events.length === 0) break;
      expect(page.events.length).toBeLessThanOrEqual(7);
      paged.push(...page.events.map((event) => event.id));
      cursor = page.events.at(-1)!.id;
    }
    expect(paged).toEqual(ids);

    expect(await bus.read(ids[24], 100)).toEqual({ gap: false, events: [] }); // at the newest: nothing, no gap
  });

  it("reads an empty (not yet created) stream as empty, and any id against it as a gap", async () => {
    const { bus } = await openBus();
    expect(await bus.read(undefined, 10)).toEqual({ gap: false, events: [] });
    expect(await bus.read("1-0", 10)).toEqual({ gap: true, events: [] });
  });

  it("answers a gap, from the oldest retained event, for a malformed, unknown or future id", async () => {
    const { bus } = await openBus();
    const ids = await publishAll(bus, 5);
    const all = (await bus.read(undefined, 100)).events;
    const [ms, seq] = ids[4]!.split("-").map(BigInt) as [bigint, bigint];
    const cases = [
      "",
      "nope",
      "12",
      "1-",
      "-1",
      "a-1",
      "01-1",
      "1-2-3",
      "0-0",
      "99999999999999999999999-0", // beyond 64 bits
      "lz3k9q1c0a7-3", // an in-memory bus id
      `${ms + 1n}-0`, // newer than the newest
      `${ms}-${seq + 1n}`, // newer than the newest, same millisecond
      `${BigInt(ids[0]!.split("-")[0]!) - 1n}-0`, // older than anything this stream ever had
    ];
    for (const afterId of cases) {
      expect(await bus.read(afterId, 100), afterId).toEqual({ gap: true, events: all });
    }
    expect(await bus.read("nope", 2)).toEqual({ gap: true, events: all.slice(0, 2) });
  });

  it("answers a gap when an entry after the id was deleted (XDEL), and for an id this stream never issued", async () => {
    const { bus, stream } = await openBus();
    const [first] = await publishAll(bus, 1);
    const [ms] = first!.split("-");
    const later = (await admin.xadd(stream, `${BigInt(ms!) + 10n}-0`, "name", "tick", "json", '{"event":"tick","n":2}'))!;
    const unknown = `${BigInt(ms!) + 5n}-0`;
    expect(await bus.read(unknown, 10)).toEqual({
      gap: true,
      events: (await bus.read(undefined, 10)).events,
    });
    expect((await bus.read(first, 10)).events.map((event) => event.id)).toEqual([later]);
    const [third, fourth] = await publishAll(bus, 2, 3);
    await admin.xdel(stream, third!);
    const kept = (await bus.read(undefined, 10)).events;
    expect(kept.map((event) => event.id)).toEqual([first, later, fourth]);
    expect(await bus.read(later, 10)).toEqual({ gap: true, events: kept }); // `third` is lost to it
    expect(await bus.read(third, 10)).toEqual({ gap: true, events: kept });
    expect(await bus.read(fourth, 10)).toEqual({ gap: false, events: [] });
  });

  it("trims exactly to maxEvents with trim: exact; a resume from a trimmed id is a gap, from a kept one is not", async () => {
    const { bus, stream } = await openBus({ maxEvents: 5 }, { trim: "exact" });
    const ids = await publishAll(bus, 12);
    expect(await admin.xlen(stream)).toBe(5);
    const kept = await bus.read(undefined, 100);
    expect(kept.gap).toBe(false);
    expect(kept.events.map((event) => event.id)).toEqual(ids.slice(7));
    // older than the history: gap, then the oldest retained
    expect(await bus.read(ids[0], 100)).toEqual({ gap: true, events: kept.events });
    expect(await bus.read(ids[5], 100)).toEqual({ gap: true, events: kept.events });
    // Even the newest trimmed id: Redis does not say which id preceded the oldest entry, so
    // the bus cannot tell that nothing after it was lost (a gap, but every retained event).
    expect(await bus.read(ids[6], 100)).toEqual({ gap: true, events: kept.events });
    expect(await bus.read(ids[7], 100)).toEqual({ gap: false, events: kept.events.slice(1) });
  });

  it("bounds the history by count with approximate trimming (MAXLEN ~): never less, at most a node more", async () => {
    const { bus, stream } = await openBus({ maxEvents: 10 });
    const ids: string[] = [];
    for (let batch = 0; batch < 6; batch++) ids.push(...(await publishAll(bus, 100, batch * 100 + 1)));
    const length = await admin.xlen(stream);
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThanOrEqual(10 + 100);
    const kept = await bus.read(undefined, 1000);
    expect(kept.gap).toBe(false);
    expect(kept.events.map((event) => event.id)).toEqual(ids.slice(-length));
    expect(await bus.read(ids[0], 1000)).toEqual({ gap: true, events: kept.events });
  });

  it("bounds the history by age (XTRIM MINID on Redis's clock) after a later publish", async () => {
    const { bus, stream } = await openBus({ maxAgeMs: 150 }, { ageTrimIntervalMs: 10 });
    const old = await publishAll(bus, 3);
    await new Promise((resolve) => setTimeout(resolve, 250)); // let the first three age past maxAgeMs
    const [fresh] = await publishAll(bus, 1, 4);
    let length = 0;
    for (let i = 0; i < 100 && (length = await admin.xlen(stream)) > 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(length).toBe(1);
    expect(await bus.read(old[2], 10)).toEqual({ gap: true, events: [expect.objectContaining({ id: fresh })] });
  });

  it("answers a gap when the stream was deleted, and when it was deleted and re-created", async () => {
    const { bus, stream } = await openBus();
    const ids = await publishAll(bus, 3);
    await admin.del(stream);
    expect(await bus.read(ids[1], 10)).toEqual({ gap: true, events: [] });
    expect(await bus.read(undefined, 10)).toEqual({ gap: false, events: [] });
    const fresh = await publishAll(bus, 2, 4);
    const events = (await bus.read(undefined, 10)).events;
    expect(events.map((event) => event.id)).toEqual(fresh);
    expect(await bus.read(ids[1], 10)).toEqual({ gap: true, events });
    expect(await bus.read(ids[2], 10)).toEqual({ gap: true, events });
  });

  it("keeps delivering live events after the stream is deleted and re-created", async () => {
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
      ((await admin.client("LIST")) as string).split("\n").filter((line) => / name=eventwire(-reader)? /.test(line)).length;
    const before = await clients();
    expect(before).toBeGreaterThanOrEqual(2);
    await bus.close();
    let after = before;
    for (let i = 0; i < 100 && (after = await clients()) > before - 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(after).toBe(before - 2);
    await admin.xadd(stream, "*", "name", "late", "json", "{}");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(context.events).toEqual([]);
    await expect(bus.read(undefined, 1)).rejects.toThrow("the bus is closed");
  });

  it("rejects open, and then publish, with a clear error when Redis is unreachable", async () => {
    const port = await sparePort();
    const bus = redisBus({ url: `redis://127.0.0.1:${port}`, stream: uniqueStream(), connectTimeoutMs: 300 });
    const started = Date.now();
    await expect(bus.open(new RecordingContext())).rejects.toThrow(
      new RegExp(`^@eventwire/redis: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(no connection within 300 ms\\).*ECONNREFUSED`),
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(bus.publish(record("tick", 1))).rejects.toThrow("@eventwire/redis: cannot publish: the bus is not open");
    await bus.close();
  });

  it("rejects a second open and bad options", async () => {
    const { bus } = await openBus();
    await expect(bus.open(new RecordingContext())).rejects.toThrow("open() was already called");
    expect(() => redisBus({ stream: "" })).toThrow(TypeError);
    expect(() => redisBus({ blockMs: 0 })).toThrow("`blockMs` must be a positive number");
  });
});

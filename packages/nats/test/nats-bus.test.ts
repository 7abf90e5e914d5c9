import type { Bus, BusEvent } from "@eventwire/core";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { natsBus, type NatsBusOptions } from "../src/index.js";
import { RecordingContext, record } from "./bus-context.js";
import { NATS_SERVERS, runNatsTests, sparePort, uniqueStream } from "./nats-servers.js";
import { eventually, until } from "./wait.js";

describe.skipIf(!runNatsTests)("natsBus on the shared NATS", () => {
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];
  const open: Bus[] = [];

  beforeAll(async () => {
    admin = await connect({ servers: NATS_SERVERS });
    jsm = await jetstreamManager(admin);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((bus) => bus.close()));
    for (const stream of streams.splice(0)) await jsm.streams.delete(stream).catch(() => undefined);
  });
  afterAll(async () => {
    await admin?.close();
  });

  /** An open bus on a fresh stream (or on `stream`), closed after the test. */
  async function openBus(
    history: Partial<RecordingContext["history"]> = {},
    options: NatsBusOptions = {},
  ): Promise<{ bus: Bus; context: RecordingContext; stream: string }> {
    const stream = options.stream ?? uniqueStream();
    if (!streams.includes(stream)) streams.push(stream);
    const bus = natsBus({ servers: NATS_SERVERS, ...options, stream });
    const context = new RecordingContext(history);
    await bus.open(context);
    open.push(bus);
    return { bus, context, stream };
  }

  async function publishAll(bus: Bus, count: number, from = 1): Promise<string[]> {
    return Promise.all(Array.from({ length: count }, (_, i) => bus.publish(record("tick", from + i, "S1"))));
  }

  const ns = (events: readonly BusEvent[]): number[] => events.map((event) => JSON.parse(event.json).n as number);
  const seqs = (ids: readonly string[]): number[] => ids.map((id) => Number(id.split("-")[1]));

  it("ids are the stream sequences (after the stream's epoch), increasing in publish order; each event is delivered once, in order", async () => {
    const { bus, context, stream } = await openBus();
    const ids = await publishAll(bus, 20);
    const epoch = Date.parse((await jsm.streams.info(stream)).created).toString(36);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `${epoch}-${i + 1}`));
    for (let i = 1; i < ids.length; i++) expect(bus.compareIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    await until(() => context.events.length >= 20, "20 events");
    expect(context.ids()).toEqual(ids);
    expect(ns(context.events)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(context.events[0]).toEqual({ id: ids[0], name: "tick", session: "S1", json: '{"event":"tick","sessionId":"S1","n":1}' });
    expect(context.errors).toEqual([]);
  });

  it("keeps names, sessions (or none) and JSON text exactly, whatever characters they hold", async () => {
    const { bus, context } = await openBus();
    const sent = [
      { name: "bot.word", session: undefined, json: JSON.stringify({ event: "bot.word", text: "héllo \n \"quoted\" 🎉" }) },
      { name: "odd name\r\nx: y", session: " spaced %41 ünï ", json: '{"event":"odd name\\r\\nx: y"}' },
      { name: "e", session: "", json: '{"event":"e","sessionId":""}' },
    ];
    const ids: string[] = [];
    for (const item of sent) ids.push(await bus.publish(item));
    await until(() => context.events.length === 3, "3 events");
    const expected = sent.map((item, i) => ({ id: ids[i], ...item }));
    expect(context.events).toEqual(expected);
    expect((await bus.read(undefined, 10)).events).toEqual(expected);
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
    expect([...published].sort(a.compareIds.bind(a))).toEqual(ca.ids());
    expect(seqs(ca.ids())).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(ns(ca.events.filter((event) => event.name === "from.a"))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ns(ca.events.filter((event) => event.name === "from.b"))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("a bus opened later receives only what is published after it opened", async () => {
    const { bus: a, stream } = await openBus();
    await publishAll(a, 3);
    const { context: cb } = await openBus({}, { stream });
    const later = await publishAll(a, 2, 4);
    await until(() => cb.events.length >= 2, "2 events");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cb.ids()).toEqual(later);
  });

  it("reads from the oldest, after an id, and in pages that cover the history exactly once", async () => {
    const { bus } = await openBus();
    const ids = await publishAll(bus, 25);
    const all = await bus.read(undefined, 100);
    expect(all.gap).toBe(false);
    expect(all.events.map((event) => event.id)).toEqual(ids);
    expect(ns(all.events)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await bus.read(ids[9], 100)).toEqual({ gap: false, events: all.events.slice(10) });
    expect(await bus.read(undefined, 4)).toEqual({ gap: false, events: all.events.slice(0, 4) });

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
    expect(await bus.read(ids[24], 100)).toEqual({ gap: false, events: [] });
  });

  it("reads an empty or purged stream as empty; resuming at its last id is no gap, a foreign id is", async () => {
    const { bus, stream } = await openBus();
    expect(await bus.read(undefined, 10)).toEqual({ gap: false, events: [] });
    const [id] = await publishAll(bus, 1);
    await jsm.streams.purge(stream);
    expect(await bus.read(undefined, 10)).toEqual({ gap: false, events: [] });
    expect(await bus.read(id, 10)).toEqual({ gap: false, events: [] }); // purged up to and including it: nothing lost after it
    expect(await bus.read("x-1", 10)).toEqual({ gap: true, events: [] });
  });

  it("answers a gap, from the oldest retained event, for a malformed, future, or other stream's id", async () => {
    const { bus } = await openBus();
    const ids = await publishAll(bus, 5);
    const all = (await bus.read(undefined, 100)).events;
    const [epoch] = ids[0]!.split("-") as [string];
    const cases = [
      "",
      "nope",
      "5",
      `${epoch}-`,
      `${epoch}-0`,
      `${epoch}-05`,
      `${epoch}-1.5`,
      `${epoch}-6`, // newer than the newest
      `${epoch}-99999999999999999999`,
      `${(parseInt(epoch, 36) - 1).toString(36)}-3`, // a stream of the same name created earlier
      "1795305979099-0", // a Redis id
      "lz3k9q1c0a7-3", // an in-memory bus id
    ];
    for (const afterId of cases) {
      expect(await bus.read(afterId, 100), afterId).toEqual({ gap: true, events: all });
    }
    expect(await bus.read("nope", 2)).toEqual({ gap: true, events: all.slice(0, 2) });
  });

  it("bounds the history by count (max_msgs): a resume from before the kept window is a gap, from its edge is not", async () => {
    const { bus, stream } = await openBus({ maxEvents: 5 });
    const info = await jsm.streams.info(stream);
    expect(info.config.max_msgs).toBe(5);
    expect(info.config.max_age).toBe(nanos(300_000));
    const ids = await publishAll(bus, 12);
    const kept = await bus.read(undefined, 100);
    expect(kept.gap).toBe(false);
    expect(kept.events.map((event) => event.id)).toEqual(ids.slice(7));
    expect(await bus.read(ids[0], 100)).toEqual({ gap: true, events: kept.events });
    expect(await bus.read(ids[5], 100)).toEqual({ gap: true, events: kept.events });
    // the newest dropped id: everything after it is still there
    expect(await bus.read(ids[6], 100)).toEqual({ gap: false, events: kept.events });
    expect(await bus.read(ids[7], 100)).toEqual({ gap: false, events: kept.events.slice(1) });
  });

  it("bounds the history by age (max_age)", async () => {
    const { bus, stream } = await openBus({ maxAgeMs: 300 });
    const old = await publishAll(bus, 3);
    await eventually(async () => {
      const state = (await jsm.streams.info(stream)).state;
      if (state.messages !== 0) throw new Error(`${state.messages} messages left`);
    }, "the old messages to expire", 5_000);
    const [fresh] = await publishAll(bus, 1, 4);
    expect(await bus.read(old[2], 10)).toEqual({ gap: false, events: [expect.objectContaining({ id: fresh })] }); // the last expired one: nothing lost after it
    expect(await bus.read(old[1], 10)).toEqual({ gap: true, events: [expect.objectContaining({ id: fresh })] });
  });

  it("raises a stream's limits to the hub's history, and never lowers them", async () => {
    const { stream } = await openBus({ maxEvents: 10, maxAgeMs: 60_000 });
    await openBus({ maxEvents: 100, maxAgeMs: 30_000 }, { stream });
    let config = (await jsm.streams.info(stream)).config;
    expect([config.max_msgs, config.max_age]).toEqual([100, nanos(60_000)]);
    await openBus({ maxEvents: 5, maxAgeMs: 600_000 }, { stream });
    config = (await jsm.streams.info(stream)).config;
    expect([config.max_msgs, config.max_age]).toEqual([100, nanos(600_000)]);
    expect(config.subjects).toEqual([`${stream}.events`]);
  });

  it("answers a gap when the stream was deleted, re-creates it, and follows the new one", async () => {
    const { bus, context, stream } = await openBus();
    const ids = await publishAll(bus, 3);
    await until(() => context.events.length === 3, "3 events");
    await jsm.streams.delete(stream);
    expect(await bus.read(ids[1], 10)).toEqual({ gap: true, events: [] });
    // The bus notices (its consumer, that read, or a rejected publish) and creates the stream again.
    const first = await eventually(() => bus.publish(record("tick", 5)), "a publish once the bus re-created the stream");
    const fresh = [first, ...(await publishAll(bus, 2, 6))];
    const epoch = Date.parse((await jsm.streams.info(stream)).created).toString(36);
    expect(fresh).toEqual([`${epoch}-1`, `${epoch}-2`, `${epoch}-3`]);
    expect(fresh[0]!.split("-")[0]).not.toBe(ids[0]!.split("-")[0]);
    const events = (await bus.read(undefined, 10)).events;
    expect(events.map((event) => event.id)).toEqual(fresh);
    expect(await bus.read(ids[1], 10)).toEqual({ gap: true, events }); // sequence 2 exists again, but it is another event
    await until(() => context.events.length === 6, "the new stream's events, live");
    expect(context.ids()).toEqual([...ids, ...fresh]);
    expect(context.errors.map((error) => error.message)).toContainEqual(expect.stringContaining(`stream "${stream}" was created anew`));
  });

  it("rejects a publish no stream takes, with a clear error, and then puts its subject back on the stream", async () => {
    const { bus, context, stream } = await openBus();
    const [first] = await publishAll(bus, 1);
    const { config } = await jsm.streams.info(stream);
    await jsm.streams.update(stream, { ...config, subjects: [`${stream}.elsewhere`] });
    await expect(bus.publish(record("tick", 2))).rejects.toThrow(
      `@eventwire/nats: cannot publish "tick": no JetStream stream takes subject "${stream}.events" on NATS at ${NATS_SERVERS} (was stream "${stream}" deleted?)`,
    );
    const second = await eventually(() => bus.publish(record("tick", 3)), "a publish once the bus restored its subject");
    expect(seqs([first!, second])).toEqual([1, 2]);
    expect((await jsm.streams.info(stream)).config.subjects).toEqual([`${stream}.elsewhere`, `${stream}.events`]);
    await until(() => context.events.length === 2, "2 events");
    expect(context.ids()).toEqual([first, second]);
  });

  it("orders ids by stream epoch, then sequence", async () => {
    const bus = natsBus({ servers: NATS_SERVERS });
    expect(bus.compareIds("abc-9", "abc-10")).toBeLessThan(0);
    expect(bus.compareIds("abc-10", "abc-9")).toBeGreaterThan(0);
    expect(bus.compareIds("abc-10", "abc-10")).toBe(0);
    expect(bus.compareIds("abc-500", "abd-1")).toBeLessThan(0);
    expect(bus.compareIds("zz-500", "100-1")).toBeLessThan(0); // a longer epoch is later
    await bus.close();
  });

  it("works with a connection the user passes, and leaves it open on close", async () => {
    const connection = await connect({ servers: NATS_SERVERS });
    try {
      const { bus, context } = await openBus({}, { connection });
      const ids = await publishAll(bus, 3);
      await until(() => context.events.length === 3, "3 events");
      expect(context.ids()).toEqual(ids);
      await bus.close();
      expect(connection.isClosed()).toBe(false);
      await connection.flush();
      await expect(bus.publish(record("tick", 9))).rejects.toThrow("@eventwire/nats: cannot publish: the bus is closed");
    } finally {
      await connection.close();
    }
  });

  it("stops delivering once closed", async () => {
    const { bus, context, stream } = await openBus();
    const other = natsBus({ servers: NATS_SERVERS, stream });
    await other.open(new RecordingContext());
    open.push(other);
    await bus.close();
    await other.publish(record("late", 1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(context.events).toEqual([]);
    await expect(bus.read(undefined, 1)).rejects.toThrow("@eventwire/nats: cannot read: the bus is closed");
  });

  it("rejects open, and then publish, with a clear error when NATS is unreachable", async () => {
    const port = await sparePort();
    const bus = natsBus({ servers: `127.0.0.1:${port}`, stream: uniqueStream(), connectTimeoutMs: 300 });
    const started = Date.now();
    await expect(bus.open(new RecordingContext())).rejects.toThrow(
      new RegExp(`^@eventwire/nats: cannot reach NATS at 127\\.0\\.0\\.1:${port} \\(no connection within 300 ms\\)`),
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(bus.publish(record("tick", 1))).rejects.toThrow("@eventwire/nats: cannot publish: the bus is not open");
    await bus.close();
  });

  it("rejects a second open and bad options", async () => {
    const { bus } = await openBus();
    await expect(bus.open(new RecordingContext())).rejects.toThrow("open() was already called");
    expect(() => natsBus({ stream: "a.b" })).toThrow(TypeError);
    expect(() => natsBus({ subject: "x.*" })).toThrow(TypeError);
    expect(() => natsBus({ requestTimeoutMs: -1 })).toThrow("`requestTimeoutMs` must be a positive number");
  });
});

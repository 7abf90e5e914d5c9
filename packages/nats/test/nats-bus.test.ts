import { eventually, until } from "@eventwire/conformance";
import { RecordingContext, openBuses, publishConcurrently, record } from "@eventwire/conformance/bus";
import type { Bus } from "@eventwire/core";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsBus, type NatsBusOptions } from "../src/index.js";
import { deleteStream, NATS_SERVERS, runNatsTests } from "./nats-servers.js";

// What only NATS does; the contract every bus keeps is in bus-conformance.test.ts.
describe.skipIf(!runNatsTests)("natsBus on the shared NATS", () => {
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    admin = await connect({ servers: NATS_SERVERS });
    jsm = await jetstreamManager(admin);
  });
  afterAll(async () => {
    await admin?.close();
  });

  /** An open bus on a fresh stream (or on `options.stream`), closed and deleted after the test. */
  const openBus = openBuses((options: NatsBusOptions & { stream: string }) => natsBus({ servers: NATS_SERVERS, ...options }), deleteStream);

  const publishAll = (bus: Bus, count: number, from = 1): Promise<string[]> => publishConcurrently(bus, from, count, "S1");
  const seqs = (ids: readonly string[]): number[] => ids.map((id) => Number(id.split("-")[1]));

  it("reads an empty or purged stream as empty; resuming at its last id is no gap, a foreign id is", async () => {
    const { bus, stream } = await openBus();
    expect(await bus.read(undefined, 10)).toStrictEqual({ events: [] });
    const [id] = await publishAll(bus, 1);
    await jsm.streams.purge(stream);
    expect(await bus.read(undefined, 10)).toStrictEqual({ events: [] });
    expect(await bus.read(id, 10)).toStrictEqual({ events: [] }); // purged up to and including it: nothing lost after it
    expect(await bus.read("x-1", 10)).toEqual({ gap: "reset", events: [] });
  });

  it("gives a cursor that resumes exactly after the newest message, also before the first one", async () => {
    const { bus } = await openBus();
    const empty = await bus.cursor();
    expect(empty).toMatch(/^[0-9a-z]+-0$/);
    expect(await bus.read(empty, 10)).toStrictEqual({ events: [] });
    const [a] = await publishAll(bus, 1);
    expect((await bus.read(empty, 10)).events.map((event) => event.id)).toEqual([a]);
    const cursor = await bus.cursor();
    expect(cursor).toBe(a);
    const [b] = await publishAll(bus, 1, 2);
    expect((await bus.read(cursor, 10)).events.map((event) => event.id)).toEqual([b]);
  });

  it("bounds the history by age (max_age)", async () => {
    const { bus, stream } = await openBus({ maxAgeMs: 300 });
    const old = await publishAll(bus, 3);
    await eventually(async () => {
      const state = (await jsm.streams.info(stream)).state;
      if (state.messages !== 0) throw new Error(`${state.messages} messages left`);
    }, "the old messages to expire", 5_000);
    const [fresh] = await publishAll(bus, 1, 4);
    expect(await bus.read(old[2], 10)).toStrictEqual({ events: [expect.objectContaining({ id: fresh })] }); // the last expired one: nothing lost after it
    expect(await bus.read(old[1], 10)).toEqual({ gap: "expired", events: [expect.objectContaining({ id: fresh })] });
  });

  it("sets a stream's limits (max_msgs, max_age) from the hub's history, raises them, and never lowers them", async () => {
    const { stream } = await openBus({ maxEvents: 10, maxAgeMs: 60_000 });
    let config = (await jsm.streams.info(stream)).config;
    expect([config.max_msgs, config.max_age]).toEqual([10, nanos(60_000)]);
    await openBus({ maxEvents: 100, maxAgeMs: 30_000 }, { stream });
    config = (await jsm.streams.info(stream)).config;
    expect([config.max_msgs, config.max_age]).toEqual([100, nanos(60_000)]);
    await openBus({ maxEvents: 5, maxAgeMs: 600_000 }, { stream });
    config = (await jsm.streams.info(stream)).config;
    expect([config.max_msgs, config.max_age]).toEqual([100, nanos(600_000)]);
    expect(config.subjects).toEqual([`${stream}.events`]);
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

  it("lets a deletion finish before creating the stream anew, so the new stream keeps (and delivers) what it acknowledges", async () => {
    // nats-server removes a deleted stream's files after it stops answering for it, and the bus
    // hears of the deletion first (its consumer goes): a stream created in that window lost its
    // files, acknowledged publishes it could not read back, and its consumers stalled.
    for (let round = 0; round < 5; round++) {
      const { bus, context, stream } = await openBus();
      const old = await publishAll(bus, 3);
      await until(() => context.events.length === 3, "3 events");
      await jsm.streams.delete(stream);
      await expect(jsm.streams.info(stream), "not created anew while it is being deleted").rejects.toThrow(/stream not found/i);
      const fresh = [await eventually(() => bus.publish(record("tick", 4, "S1")), "a publish once the bus created the stream anew")];
      fresh.push(...(await publishAll(bus, 2, 5)));
      expect(seqs(fresh)).toEqual([1, 2, 3]);
      expect((await bus.read(undefined, 10)).events.map((event) => event.id)).toEqual(fresh);
      await until(() => context.events.length === 6, "the new stream's events, live", 5_000);
      expect(context.ids()).toEqual([...old, ...fresh]);
    }
  }, 60_000);

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
    const { bus: other } = await openBus({}, { stream });
    await bus.close();
    await other.publish(record("late", 1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(context.events).toEqual([]);
    await expect(bus.read(undefined, 1)).rejects.toThrow("@eventwire/nats: cannot read: the bus is closed");
  });

  it("rejects a second open and bad options", async () => {
    const { bus } = await openBus();
    await expect(bus.open(new RecordingContext())).rejects.toThrow("open() was already called");
    expect(() => natsBus({ stream: "a.b" })).toThrow(TypeError);
    expect(() => natsBus({ subject: "x.*" })).toThrow(TypeError);
    expect(() => natsBus({ requestTimeoutMs: -1 })).toThrow("`requestTimeoutMs` must be a positive number");
  });
});

import { eventually, until } from "@eventwire/conformance";
import { EngineProcess, RecordingContext, publishInOrder, record, uniqueStream } from "@eventwire/conformance/bus";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { redisBus, type RedisBusOptions } from "../src/index.js";
import { runRedisTests, startOwnRedis } from "./redis-servers.js";

// Each test runs its own redis-server on a spare port, and kills, freezes or restarts it.
describe.skipIf(!runRedisTests)("redisBus through Redis failures (own redis-server)", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function ownServer(persistent: boolean): Promise<EngineProcess> {
    const server = await startOwnRedis({ persistent });
    cleanup.push(() => server.stop());
    return server;
  }

  async function openBus(server: EngineProcess, stream: string, options: RedisBusOptions = {}) {
    const bus = redisBus({ url: server.address, stream, ...options });
    const context = new RecordingContext();
    await bus.open(context);
    cleanup.push(() => bus.close());
    return { bus, context };
  }

  it("a reader whose connection is killed continues from the last id it saw: nothing missed, nothing twice", async () => {
    const server = await ownServer(false);
    const stream = uniqueStream("reader-kill");
    // A reconnects 300 ms after losing its reader connection, so B publishes into that window.
    const a = await openBus(server, stream, {
      redisOptions: { connectionName: "bus-a", retryStrategy: () => 300 },
    });
    const b = await openBus(server, stream);
    const admin = new Redis(server.address);
    cleanup.push(async () => void admin.disconnect());

    const first = await publishInOrder(b.bus, 1, 5);
    await until(() => a.context.events.length === 5, "A to receive the first 5 events");

    const readerId = async (): Promise<string | undefined> =>
      /id=(\d+) [^\n]* name=bus-a-reader /.exec((await admin.client("LIST")) as string)?.[1];
    const killed = await readerId();
    expect(killed).toBeDefined();
    expect(await admin.client("KILL", "ID", killed!)).toBe(1);
    const during = await publishInOrder(b.bus, 6, 20); // while A's reader is disconnected
    expect(await readerId()).toBeUndefined(); // these really went in while it was away
    await until(() => a.context.events.length === 25, "A to receive all 25 events");
    const reconnected = await readerId();
    expect(reconnected).toBeDefined();
    expect(reconnected).not.toBe(killed);

    const ids = [...first, ...during];
    expect(a.context.ids()).toEqual(ids);
    expect(b.context.ids()).toEqual(ids);
    expect(a.context.events.map((event) => JSON.parse(event.json).n)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it("rejects publishes at once while Redis is down, and after a restart loses nothing acknowledged and misses nothing live", async () => {
    const server = await ownServer(true);
    const stream = uniqueStream("restart");
    const a = await openBus(server, stream);
    const b = await openBus(server, stream);
    const before = await publishInOrder(b.bus, 1, 5);
    await until(() => a.context.events.length === 5, "A to receive 5 events");

    await server.kill();
    const started = Date.now();
    await expect(b.bus.publish(record("tick", 6))).rejects.toThrow(
      new RegExp(`^@eventwire/redis: cannot publish "tick": Redis at redis://127\\.0\\.0\\.1:${server.port} is unreachable`),
    );
    await expect(b.bus.read(undefined, 10)).rejects.toThrow(/^@eventwire\/redis: cannot read history: Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable/);
    expect(Date.now() - started).toBeLessThan(1_000);

    await server.restart();
    const after = [await eventually(() => b.bus.publish(record("tick", 6)), "publishing after the restart")];
    after.push(...(await publishInOrder(b.bus, 7, 4)));
    await until(() => a.context.events.length === 10 && b.context.events.length === 10, "10 events on each bus");

    const ids = [...before, ...after];
    expect(a.context.ids()).toEqual(ids);
    expect(b.context.ids()).toEqual(ids);
    // The AOF (fsync always) kept every acknowledged event across the restart.
    expect((await a.bus.read(undefined, 100)).events.map((event) => event.id)).toEqual(ids);
    expect(await a.bus.read(before[4], 100)).toStrictEqual({ events: a.context.events.slice(5) });
    expect(a.context.errors.map((error) => error.message)).toContainEqual(
      expect.stringMatching(/^@eventwire\/redis: lost the reading connection to Redis at redis:\/\/127\.0\.0\.1:\d+, reconnecting/),
    );
  });

  it("rejects a publish Redis does not answer within commandTimeoutMs instead of waiting forever", async () => {
    const server = await ownServer(false);
    const { bus } = await openBus(server, uniqueStream("frozen"), { commandTimeoutMs: 300 });
    await bus.publish(record("tick", 1));
    server.pause();
    try {
      const started = Date.now();
      await expect(bus.publish(record("tick", 2))).rejects.toThrow(
        /^@eventwire\/redis: cannot publish "tick": Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer within 300 ms \(Command timed out\)$/,
      );
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      server.resume();
    }
  });
});

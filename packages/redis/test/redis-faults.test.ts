import { eventually, nodeHttpServer, SseClient, TcpProxy, until } from "@eventwire/conformance";
import { EngineProcess, HubProcess, RecordingContext, publishConcurrently, publishInOrder, record, uniqueStream } from "@eventwire/conformance/bus";
import { createHub } from "@eventwire/core";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { publishScript } from "../src/epoch-scripts.js";
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
    // A reaches Redis through a relay that, while B publishes, refuses A's reconnects: the window
    // is as long as B needs, however slow the machine.
    const relay = new TcpProxy(server.port);
    await relay.start();
    cleanup.push(() => relay.stop());
    const a = await openBus(server, stream, {
      url: relay.url(server.address),
      redisOptions: { connectionName: "bus-a", retryStrategy: () => 50 },
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
    await relay.stop({ keepConnections: true }); // A's other connections stay
    expect(await admin.client("KILL", "ID", killed!)).toBe(1);
    const during = await publishInOrder(b.bus, 6, 20); // while A's reader is disconnected
    expect(await readerId()).toBeUndefined(); // these really went in while it was away
    await relay.start();
    // Retrying every 50 ms, it is back well within 5 s (and never, were its reconnect off).
    await until(() => a.context.events.length === 25, "A to reconnect and receive all 25 events", 5_000);
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
    // A long command timeout, so "at once" is told apart from "when the command timed out" by far.
    const commandTimeoutMs = 20_000;
    const b = await openBus(server, stream, { commandTimeoutMs });
    const before = await publishInOrder(b.bus, 1, 5);
    await until(() => a.context.events.length === 5, "A to receive 5 events");

    await server.kill();
    const started = Date.now();
    await expect(b.bus.publish(record("tick", 6))).rejects.toThrow(
      new RegExp(`^@eventwire/redis: cannot publish "tick": Redis at redis://127\\.0\\.0\\.1:${server.port} is unreachable`),
    );
    await expect(b.bus.read(undefined, 10)).rejects.toThrow(/^@eventwire\/redis: cannot read history: Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable/);
    expect(Date.now() - started).toBeLessThan(commandTimeoutMs / 4);

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
      // The timeout's timer, late on a loaded machine; not the 5 s default, nor never.
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      server.resume();
    }
  });

  /** The epoch and the entry id of an id (`<epoch>:<ms>-<seq>`). */
  const split = (id: string): [epoch: string, entryId: string] => id.split(":") as [string, string];

  it("publish, FLUSHDB, publish in that order on one connection: the second starts a new epoch (even with the entry id of the first), the first resumes with reset, and the reader delivers both", async () => {
    const server = await ownServer(false);
    const stream = uniqueStream("flush-between");
    // The bus publishes on this client, so a FLUSHDB sent on it between two publishes runs between their scripts.
    const client = new Redis(server.address, { lazyConnect: true, enableOfflineQueue: false });
    await client.connect();
    cleanup.push(async () => void client.disconnect());
    const { bus, context } = await openBus(server, stream, { client, blockMs: 200 });
    const ids: string[] = [];
    let reusedEntryIds = 0;
    for (let round = 0; round < 20; round++) {
      const before = bus.publish(record("tick", 2 * round));
      const flushed = client.flushdb();
      const after = bus.publish(record("tick", 2 * round + 1));
      const [first, , second] = await Promise.all([before, flushed, after]);
      if (split(first)[1] === split(second)[1]) reusedEntryIds++; // Redis's clock had not moved: the new stream repeats the entry id
      expect(split(second)[0]).not.toBe(split(first)[0]);
      expect(bus.compareIds(first, second)).toBeLessThan(0);
      const events = (await bus.read(undefined, 10)).events;
      expect(events.map((event) => event.id)).toEqual([second]);
      expect(await bus.read(first, 10)).toEqual({ gap: "reset", events });
      ids.push(first, second);
      // Live: the reader follows the new epoch, also when its entry id is not after the last one it delivered.
      await until(() => context.ids().includes(second), `the reader to deliver ${second} (round ${round})`);
    }
    expect(reusedEntryIds, "rounds whose second entry id repeated the first (the case epochs exist for)").toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    // Every delivered event is one that was acknowledged, once, in order; every second one is among
    // them (a first one may have been flushed before the reader read it).
    const delivered = context.ids();
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(delivered.filter((id) => ids.includes(id))).toEqual(delivered);
    expect([...delivered].sort((a, b) => bus.compareIds(a, b))).toEqual(delivered);
    expect(delivered.filter((id) => ids.indexOf(id) % 2 === 1)).toEqual(ids.filter((_, i) => i % 2 === 1));
    expect(context.errors).toEqual([]);
  });

  it(
    "40 FLUSHDB rounds with publishes from two processes in between: no id is issued twice, every id of an earlier round resumes with reset, and the reader follows every round",
    { timeout: 120_000 },
    async () => {
      const server = await ownServer(false);
      const stream = uniqueStream("flush-rounds");
      const { bus, context } = await openBus(server, stream, { blockMs: 200 });
      const agent = await HubProcess.start(new URL("../src/index.ts", import.meta.url).href);
      cleanup.push(() => agent.stop());
      await agent.open({ module: new URL("../src/index.ts", import.meta.url).href, export: "redisBus", options: { url: server.address, stream } }, { serve: false });
      cleanup.push(() => agent.close());
      const admin = new Redis(server.address);
      cleanup.push(async () => void admin.disconnect());

      const rounds: string[][] = [];
      for (let round = 0; round < 40; round++) {
        if (round > 0) await admin.flushdb();
        const [here, there] = await Promise.all([
          Promise.all([0, 1, 2].map((i) => bus.publish(record("tick", round * 10 + i, "S1")))),
          agent.publishAcked([3, 4, 5].map((i) => ({ event: "tick", sessionId: "S1", n: round * 10 + i })), { concurrent: true }),
        ]);
        const ids = [...here, ...there].sort((a, b) => bus.compareIds(a, b));
        expect(new Set(ids.map((id) => split(id)[0])).size, `one epoch in round ${round}`).toBe(1);
        rounds.push(ids);
        await until(() => ids.every((id) => context.ids().includes(id)), `the reader to deliver round ${round}`);
      }
      const all = rounds.flat();
      expect(new Set(all).size).toBe(all.length);
      expect(new Set(rounds.map((ids) => split(ids[0]!)[0])).size).toBe(40); // an epoch per round
      expect(context.ids()).toEqual(all); // every event, live, once, in order, across every reset
      const events = (await bus.read(undefined, 100)).events;
      expect(events.map((event) => event.id)).toEqual(rounds.at(-1));
      const answers = new Set<string>();
      for (const id of rounds.slice(0, -1).flat()) {
        const result = await bus.read(id, 100);
        expect(result.events).toEqual(events);
        answers.add(String(result.gap));
      }
      expect([...answers]).toEqual(["reset"]);
      expect(context.errors).toEqual([]);
      expect(agent.logs).toEqual([]);
    },
  );

  it("publishes on when Redis forgets its scripts (SCRIPT FLUSH): EVALSHA falls back to EVAL, in call order", async () => {
    const server = await ownServer(false);
    const { bus, context } = await openBus(server, uniqueStream("script-flush"));
    const admin = new Redis(server.address);
    cleanup.push(async () => void admin.disconnect());
    const before = await publishInOrder(bus, 1, 2);
    await admin.script("FLUSH");
    expect(await admin.script("EXISTS", publishScript.sha)).toEqual([0]);
    const after = await publishConcurrently(bus, 3, 5);
    expect([...after].sort((a, b) => bus.compareIds(a, b))).toEqual(after);
    expect(await admin.script("EXISTS", publishScript.sha)).toEqual([1]); // EVAL cached it again
    await until(() => context.events.length === 7, "7 events");
    expect(context.ids()).toEqual([...before, ...after]);
    expect(context.events.map((event) => JSON.parse(event.json).n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("FLUSHDB under a running hub: its live client goes on without a gap, ids from before resume with a reset gap, the new history's exactly", async () => {
    const server = await ownServer(false);
    const stream = uniqueStream("hub-flush");
    const logged: string[] = [];
    const logger = {
      warn: (message: string) => void logged.push(message),
      error: (message: string, error?: unknown) => void logged.push(`${message} ${error instanceof Error ? error.message : ""}`),
    };
    const hub = createHub({ authorize: true, bus: redisBus({ url: server.address, stream, blockMs: 200 }), logger });
    cleanup.push(() => hub.close());
    await hub.ready();
    const http = await nodeHttpServer(hub);
    cleanup.push(() => http.close());
    const open = async (query: string): Promise<SseClient> => {
      const client = await SseClient.open(`${http.url}?${query}`);
      cleanup.push(async () => client.close());
      expect(client.status).toBe(200);
      return client;
    };
    const live = await open("session=S1");
    const tick = (n: number) => ({ event: "tick", sessionId: "S1", n });
    const before: string[] = [];
    for (let n = 1; n <= 3; n++) before.push(await hub.publish(tick(n)));
    await live.waitForEvents(3);

    const admin = new Redis(server.address);
    cleanup.push(async () => void admin.disconnect());
    await admin.flushdb();
    const after: string[] = [];
    for (let n = 4; n <= 6; n++) after.push(await hub.publish(tick(n)));
    await live.waitForEvents(6);
    expect(live.messages).toEqual([...before, ...after].map((id, i) => ({ ...tick(i + 1), id }))); // no gap: nothing was lost to it

    const fromOld = await open(`session=S1&lastEventId=${encodeURIComponent(before[1]!)}`);
    await fromOld.waitForMessages(4);
    expect(fromOld.messages).toEqual([
      { event: "gap", lastEventId: before[1], reason: "reset" },
      ...after.map((id, i) => ({ ...tick(i + 4), id })),
    ]);
    const fromNew = await open(`session=S1&lastEventId=${encodeURIComponent(after[0]!)}`);
    await fromNew.waitForMessages(2);
    expect(fromNew.messages).toEqual(after.slice(1).map((id, i) => ({ ...tick(i + 5), id })));
    expect(logged).toEqual([]);
  });
});

import { eventually, nodeHttpServer, SseClient, TcpProxy, until } from "@eventwire/conformance";
import { EngineProcess, RecordingContext, publishInOrder, record, uniqueStream } from "@eventwire/conformance/bus";
import { createHub } from "@eventwire/core";
import { afterEach, describe, expect, it } from "vitest";
import { natsBus, type NatsBusOptions } from "../src/index.js";
import { recreateStream, runNatsTests, startOwnNats } from "./nats-servers.js";

// Each test runs its own nats-server on a spare port, and kills and restarts it.
describe.skipIf(!runNatsTests)("natsBus through NATS failures (own nats-server)", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function ownServer(): Promise<EngineProcess> {
    const server = await startOwnNats();
    cleanup.push(() => server.stop());
    return server;
  }

  const requestTimeoutMs = 1_000;

  async function openBus(server: EngineProcess, stream: string, options: NatsBusOptions = {}) {
    const bus = natsBus({
      servers: server.address,
      stream,
      requestTimeoutMs,
      connectionOptions: { reconnectTimeWait: 100, reconnectJitter: 50 },
      ...options,
    });
    const context = new RecordingContext();
    await bus.open(context);
    cleanup.push(() => bus.close());
    return { bus, context };
  }

  it("rejects publishes while NATS is down; after a restart it loses nothing acknowledged and readers continue from their last id", async () => {
    const server = await ownServer();
    const stream = uniqueStream("restart");
    const a = await openBus(server, stream);
    const b = await openBus(server, stream);
    const before = await publishInOrder(b.bus, 1, 5);
    await until(() => a.context.events.length === 5, "A to receive 5 events");

    await server.kill("SIGTERM"); // a restart: JetStream's file store is flushed (SIGKILL may lose its last writes)
    const started = Date.now();
    await expect(b.bus.publish(record("tick", 6))).rejects.toThrow(/^@eventwire\/nats: cannot publish "tick": NATS at 127\.0\.0\.1:\d+ /);
    // At most its request timeout, late on a loaded machine; not the 5 s default, nor never.
    expect(Date.now() - started).toBeLessThan(3 * requestTimeoutMs);
    // Once the bus knows the connection is gone, it rejects at once.
    await until(() => a.context.errors.some((error) => error.message.includes("lost the connection")), "A to notice");
    await eventually(async () => {
      const error = await b.bus.publish(record("tick", 6)).then(
        () => new Error("published while the server was down"),
        (rejection: Error) => rejection,
      );
      expect(error.message).toMatch(/^@eventwire\/nats: cannot publish "tick": NATS at 127\.0\.0\.1:\d+ is unreachable \(reconnecting\)$/);
    }, "an immediate rejection");
    await expect(b.bus.read(undefined, 10)).rejects.toThrow(/^@eventwire\/nats: cannot read history: NATS at .* is unreachable/);

    await server.restart();
    const after = [await eventually(() => b.bus.publish(record("tick", 6)), "publishing after the restart")];
    after.push(...(await publishInOrder(b.bus, 7, 4)));
    await until(() => a.context.events.length === 10 && b.context.events.length === 10, "10 events on each bus", 15_000);

    const ids = [...before, ...after];
    expect(ids.map((id) => Number(id.split("-")[1]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(ids.map((id) => id.split("-")[0])).size).toBe(1); // the same stream, kept on disk
    expect(a.context.ids()).toEqual(ids);
    expect(b.context.ids()).toEqual(ids);
    expect(a.context.events.map((event) => JSON.parse(event.json).n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await a.bus.read(undefined, 100)).events.map((event) => event.id)).toEqual(ids);
    expect(await a.bus.read(before[4], 100)).toStrictEqual({ events: a.context.events.slice(5) });
  });

  it("a reader whose server restarted receives what was published before it reconnected", async () => {
    const server = await ownServer();
    const stream = uniqueStream("reader");
    // A reaches NATS through a relay that refuses it until B has published after the restart: the
    // window is as long as B needs, however slow the machine.
    const relay = new TcpProxy(server.port);
    await relay.start();
    cleanup.push(() => relay.stop());
    const a = await openBus(server, stream, { servers: `127.0.0.1:${relay.port}` });
    const b = await openBus(server, stream);
    const first = await publishInOrder(b.bus, 1, 3);
    await until(() => a.context.events.length === 3, "A to receive 3 events");
    await relay.stop();
    await server.kill();
    await server.restart();
    const during = [await eventually(() => b.bus.publish(record("tick", 4)), "publishing after the restart")];
    during.push(...(await publishInOrder(b.bus, 5, 18)));
    expect(a.context.events).toHaveLength(3);
    await relay.start();
    // Retrying every 100 ms, it is back well within 5 s (and never, were its reconnect off).
    await until(() => a.context.events.length === 22, "A to reconnect and catch up", 5_000);
    expect(a.context.ids()).toEqual([...first, ...during]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.context.ids()).toEqual([...first, ...during]); // nothing twice
  });

  it("with memory storage, a restart loses the stream: the bus creates it anew, and old ids resume with a gap", async () => {
    const server = await ownServer();
    const stream = uniqueStream("memory");
    const a = await openBus(server, stream, { storage: "memory" });
    const old = await publishInOrder(a.bus, 1, 3);
    await until(() => a.context.events.length === 3, "3 events");
    await server.kill();
    await server.restart();
    const fresh = [await eventually(() => a.bus.publish(record("tick", 4)), "publishing after the restart")];
    fresh.push(...(await publishInOrder(a.bus, 5, 2)));
    expect(fresh.map((id) => Number(id.split("-")[1]))).toEqual([1, 2, 3]);
    expect(fresh[0]!.split("-")[0]).not.toBe(old[0]!.split("-")[0]);
    await until(() => a.context.events.length === 6, "the new stream's events, live", 15_000);
    expect(a.context.ids()).toEqual([...old, ...fresh]);
    const events = (await a.bus.read(undefined, 10)).events;
    expect(events.map((event) => event.id)).toEqual(fresh);
    expect(await a.bus.read(old[0], 10)).toEqual({ gap: "reset", events });
  });

  it("a stream deleted and created again under a running hub: ids from before resume with a reset gap, the new stream's flow live and resume exactly", async () => {
    const server = await ownServer();
    const stream = uniqueStream("recreate");
    const bus = natsBus({ servers: server.address, stream, requestTimeoutMs: 1_000, connectionOptions: { reconnectTimeWait: 100 } });
    const logged: string[] = [];
    const logger = {
      warn: (message: string) => void logged.push(message),
      error: (message: string, error?: unknown) => void logged.push(`${message} ${error instanceof Error ? error.message : ""}`),
    };
    const hub = createHub({ authorize: true, bus, logger });
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

    await recreateStream(stream, server.address); // as an operator would: delete, add with the same config
    const after = [await eventually(() => hub.publish(tick(4)), "a publish to the stream created anew")];
    after.push(await hub.publish(tick(5)), await hub.publish(tick(6)));
    expect(after.map((id) => id.split("-")[1])).toEqual(["1", "2", "3"]); // its sequence starts over...
    for (const id of after) expect(before).not.toContain(id); // ...but its ids are its own
    await live.waitForEvents(6, 15_000);
    expect(live.events.map((event) => event.id)).toEqual([...before, ...after]);

    const fromOld = await open(`session=S1&lastEventId=${encodeURIComponent(before[1]!)}`);
    await fromOld.waitForMessages(4);
    expect(fromOld.messages).toEqual([
      { event: "gap", lastEventId: before[1], reason: "reset" },
      ...[4, 5, 6].map((n, i) => ({ ...tick(n), id: after[i] })),
    ]);
    const fromNew = await open(`session=S1&lastEventId=${encodeURIComponent(after[0]!)}`);
    await fromNew.waitForMessages(2);
    expect(fromNew.messages).toEqual([5, 6].map((n, i) => ({ ...tick(n), id: after[i + 1] })));
    expect(logged.some((message) => message.includes(`stream "${stream}" was created anew`))).toBe(true);
  });
});

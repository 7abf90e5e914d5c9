import type { Socket } from "node:net";
import { until, WsClient } from "@eventwire/conformance";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, connect, idWatcher, LeanSseClient, streamUrl, type Message } from "../src/clients.js";
import { serveHub, type Published, type ServedHub } from "../src/hubs.js";
import { MiB, settledBytes } from "../src/memory.js";
import { servers } from "../src/servers.js";

/**
 * Issue 8, "Slow and dead peers": readers that stop reading are closed once their unsent data
 * passes the bound (WebSocket 1013, SSE ended) and resume with nothing lost; a peer that ignores
 * pings is dropped; the memory held for them stays bounded while they misbehave.
 */
let served: ServedHub | undefined;
const clients: { close(): void }[] = [];
afterEach(async () => {
  closeAll(clients.splice(0));
  await served?.close();
  served = undefined;
});

const pad = "x".repeat(1_000);

describe.each(servers)("slow and dead peers on $name", (factory) => {
  it("10 readers that stop reading (5 SSE, 5 WebSocket) are closed at the bound, hold bounded memory meanwhile, and resume with nothing lost", async () => {
    const maxBufferedBytes = 64 * 1024;
    served = await serveHub(factory, { limits: { maxBufferedBytes } });
    const base = served.server.url;
    // Every server-side socket, to read what the server has buffered for each peer.
    const serverSockets = new Set<Socket>();
    served.server.http.on("connection", (socket: Socket) => serverSockets.add(socket));
    // A healthy reader that keeps only ids, so the memory measured is the server's.
    const watcher = await idWatcher(streamUrl(base, "websocket"));
    const watched = watcher.ids;
    const sse = await Promise.all(Array.from({ length: 5 }, () => LeanSseClient.admitted(base)));
    const ws = await Promise.all(Array.from({ length: 5 }, () => WsClient.connect(streamUrl(base, "websocket"))));
    clients.push(watcher, ...sse, ...ws);
    const wsSocket = (client: WsClient) => (client.socket as unknown as { _socket: Socket })._socket;
    for (const client of sse) client.pause();
    for (const client of ws) wsSocket(client).pause();

    // 1 KB events in small bursts, so the watcher keeps up, until every stalled reader is dropped.
    const before = await settledBytes();
    let held = 0;
    let buffered = 0;
    const published: Published[] = [];
    for (let burst = 0; served.hub.stats().events.dropped < 10 && burst < 20_000; burst++) {
      for (let i = 0; i < 16; i++) {
        const event = { event: "bot.word", n: published.length, pad };
        published.push({ ...event, id: await served.hub.publish(event) });
      }
      buffered = Math.max(buffered, [...serverSockets].reduce((sum, socket) => sum + socket.writableLength, 0));
      await new Promise((resolve) => setImmediate(resolve));
      // What the process holds, after a full collection, now and then.
      if (burst % 200 === 0) held = Math.max(held, (await settledBytes()) - before);
    }
    held = Math.max(held, (await settledBytes()) - before);
    expect(served.hub.stats().events.dropped).toBe(10);
    // Unsent bytes the server held, for all peers together, never passed 10 bounds and an event each.
    expect(buffered).toBeLessThanOrEqual(10 * (maxBufferedBytes + 1_200));
    // The memory held is that, and the history (each event's JSON once); not events × readers.
    const history = published.length * 1_200;
    expect(held).toBeLessThan(10 * (maxBufferedBytes + 1_200) + history + 4 * MiB);
    console.info(`[slow readers ${factory.name}] ${published.length} events of 1 KB; server buffers peaked at ${(buffered / 1024).toFixed(0)} KB; memory held ${(held / MiB).toFixed(1)} MiB (history ${(history / MiB).toFixed(1)} MiB)`);

    await until(() => watched.length >= published.length, "the watcher to get every event", 30_000);
    expect(watched).toEqual(published.map((e) => e.id));
    // The stalled readers read again: each got a prefix of the events, then the end of its stream.
    for (const client of sse) client.resume();
    for (const client of ws) wsSocket(client).resume();
    const prefixes: Message[][] = [];
    for (const client of sse) {
      await client.waitForEnd(20_000);
      prefixes.push(client.events);
    }
    for (const client of ws) {
      expect(await client.waitForClose(20_000)).toBe(1013);
      prefixes.push(client.events);
    }
    // Each resumes, on its own transport, from the last event it got: nothing lost, nothing twice.
    for (const [i, got] of prefixes.entries()) {
      expect(got).toEqual(published.slice(0, got.length));
      const last = got.at(-1)?.id as string | undefined;
      const again = await connect(base, i < 5 ? "sse" : "websocket", last ? `lastEventId=${encodeURIComponent(last)}` : "");
      clients.push(again);
      await again.waitForEvents(published.length - got.length, 20_000);
      expect([...got, ...again.messages]).toEqual(published);
    }
  });

  it("peers that ignore pings are dropped at the heartbeat after the one they left unanswered; peers that answer stay", async () => {
    // Long enough for a loaded machine to answer a ping before the next (the clients share the
    // server's process); the peers' pings count the heartbeats, whatever the clock says.
    const heartbeatMs = 300;
    served = await serveHub(factory, { heartbeatMs });
    const url = streamUrl(served.server.url, "websocket");
    // Each one's last word is an action ping, sent as soon as it is admitted (a heartbeat or two may
    // pass while the others connect): the pings after its answer are the ones it ignores.
    const pingsBefore = Array.from({ length: 10 }, () => Number.NaN);
    const silent = await Promise.all(
      pingsBefore.map(async (_, i) => {
        const client = await WsClient.connect(url, { autoPong: false });
        client.socket.once("message", () => (pingsBefore[i] = client.pings));
        client.send({ action: "ping" });
        return client;
      }),
    );
    // Dead: neither reads nor answers (a vanished host behind a NAT looks like this).
    const dead = await Promise.all(Array.from({ length: 10 }, () => WsClient.connect(url, { autoPong: false })));
    for (const client of dead) (client.socket as unknown as { _socket: Socket })._socket.pause();
    const alive = await Promise.all(Array.from({ length: 10 }, () => WsClient.connect(url)));
    clients.push(...silent, ...dead, ...alive);
    await until(() => served!.hub.stats().connections.websocket === 10, "the silent and dead peers to be dropped", 20 * heartbeatMs);
    // The dead were pinged by the first heartbeat after they connected and dropped by the next; the
    // peers that answer, connected after them, had at most 2 pings by then (3 if read late).
    const heartbeats = Math.max(...alive.map((client) => client.pings));
    expect(heartbeats).toBeLessThanOrEqual(3);
    for (const client of silent) expect(await client.waitForClose()).toBe(1006);
    // Each silent peer was dropped at the heartbeat after the one ping it left unanswered.
    expect(silent.map((client, i) => client.pings - pingsBefore[i]!)).toEqual(silent.map(() => 1));
    // The ones that answer stay over more heartbeats, open and still served.
    await until(() => alive.every((client) => client.pings >= heartbeats + 2), "2 more heartbeats", 20 * heartbeatMs);
    expect(alive.every((client) => client.closeCode === undefined)).toBe(true);
    const id = await served.hub.publish({ event: "still.here" });
    for (const client of alive) await client.waitForEvents(1);
    for (const client of alive) expect(client.messages).toEqual([{ event: "still.here", id }]);
  });
});

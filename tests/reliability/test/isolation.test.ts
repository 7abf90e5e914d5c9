import type { StreamClient } from "@eventwire/conformance";
import { seededRandom, randomInterleaving, sessionIds, traceEvents } from "@eventwire/test-fixtures";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, connect, type Transport } from "../src/clients.js";
import { startFlakyReader } from "../src/flaky-reader.js";
import { publishPaced, serveHub, type Published, type ServedHub } from "../src/hubs.js";
import { servers } from "../src/servers.js";

/**
 * Issue 8, "Isolation under load": 10,000 events randomly interleaved over 25 sessions reach 50+
 * clients on both transports and every adapter; each client's sequence is exactly its session's,
 * with the same ids. Readers that drop at random and resume leak nothing of another session.
 */
const trace = randomInterleaving({ sessions: 25, events: 10_000, seed: 8, sessionKey: "sessionId", idPrefix: "S" });
const events = traceEvents(trace);
const sessions = sessionIds(trace);
const transports: Transport[] = ["sse", "websocket"];

describe.each(servers)("isolation under load on $name", (factory) => {
  let served: ServedHub | undefined;
  const clients: { close(): void }[] = [];
  afterEach(async () => {
    closeAll(clients.splice(0));
    await served?.close();
    served = undefined;
  });

  it("10,000 interleaved events: each of 56 clients receives exactly its sessions' events, in order, with the published ids", async () => {
    // History and buffers hold the whole run, so nothing here may be dropped or replayed.
    served = await serveHub(factory, { history: { maxEvents: 20_000 }, limits: { maxBufferedBytes: 16 << 20 } });
    const base = served.server.url;
    const readers: { name: string; client: StreamClient; wants: (event: Published) => boolean }[] = [];
    const open = async (name: string, transport: Transport, query: string, wants: (event: Published) => boolean, headers?: Record<string, string>) => {
      const client = await connect(base, transport, query, headers);
      clients.push(client);
      readers.push({ name: `${name} over ${transport}`, client, wants });
    };
    for (const transport of transports) {
      for (const session of sessions) await open(`session=${session}`, transport, `session=${session}`, (e) => e.sessionId === session);
      // Unscoped: everything, session-less events included.
      await open("unscoped", transport, "", () => true);
      // Limited by authorize to two sessions: both sessions' events, never a session-less one.
      await open("authorized for S1,S7", transport, "", (e) => e.sessionId === "S1" || e.sessionId === "S7", { "x-sessions": "S1,S7" });
      // A session and an event filter together.
      await open("session=S3&events=bot.*", transport, "session=S3&events=bot.*", (e) => e.sessionId === "S3" && e.event.startsWith("bot."));
    }
    expect(readers).toHaveLength(56);

    const published = await publishPaced(served.hub, events);
    for (const reader of readers) {
      const expected = published.filter(reader.wants);
      await reader.client.waitForEvents(expected.length, 30_000);
      expect({ reader: reader.name, messages: reader.client.messages }).toEqual({ reader: reader.name, messages: expected });
    }
    expect(new Set(published.map((e) => e.id)).size).toBe(10_000);
    expect(served.hub.stats().events).toEqual({ published: 10_000, delivered: readers.reduce((sum, r) => sum + r.client.events.length, 0), dropped: 0 });
    expect(served.logger.errors).toEqual([]);
  });

  it("52 readers that drop at random and resume on either transport get exactly their session's events: none lost, none twice, none foreign", async () => {
    served = await serveHub(factory, { history: { maxEvents: 20_000 }, limits: { maxBufferedBytes: 16 << 20 } });
    const base = served.server.url;
    let done = false;
    const published: Published[] = [];
    const random = seededRandom(88);
    // Each session has a reader scoped by the query and one scoped by authorize; two see everything.
    const plans = [
      ...sessions.flatMap((session) => [
        { name: `session=${session}`, query: `session=${session}`, headers: undefined, wants: (e: Published) => e.sessionId === session },
        { name: `authorized for ${session}`, query: "", headers: { "x-sessions": session }, wants: (e: Published) => e.sessionId === session },
      ]),
      { name: "unscoped 1", query: "", headers: undefined, wants: () => true },
      { name: "unscoped 2", query: "", headers: undefined, wants: () => true },
    ];
    expect(plans).toHaveLength(52);
    const expectedCount = (wants: (e: Published) => boolean) => events.filter((e, i) => wants({ ...e, id: String(i) })).length;
    const readers = await Promise.all(plans.map((plan, i) =>
      startFlakyReader({
        base,
        query: plan.query,
        headers: plan.headers,
        random: seededRandom(1000 + i),
        expected: expectedCount(plan.wants),
        publishingDone: () => done,
        maxBatch: 20 + Math.floor(random() * 150),
      }),
    ));
    // Published in small bursts, so that drops land both in replays and in live streams.
    for (let from = 0; from < events.length; from += 50) {
      await publishPaced(served.hub, events.slice(from, from + 50), 50, published);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    done = true;
    const results = await Promise.all(readers.map((reader) => reader.finished));
    let connections = 0;
    plans.forEach((plan, i) => {
      const result = results[i]!;
      connections += result.connections;
      expect({ reader: plan.name, events: result.events, controls: result.controls }).toEqual({ reader: plan.name, events: published.filter(plan.wants), controls: [] });
    });
    // Every reader dropped and resumed several times, so the replays were exercised.
    expect(connections).toBeGreaterThan(plans.length * 5);
    expect(served.hub.stats().events.dropped).toBe(0);
    expect(served.logger.errors).toEqual([]);
    console.info(`[isolation ${factory.name}] 52 flaky readers opened ${connections} connections in all`);
  });
});

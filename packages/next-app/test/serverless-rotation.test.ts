import { createEventStream, type EventStream } from "@eventwire/client";
import { HubProcess, type ChildBus } from "@eventwire/conformance/bus";
import { startNextCli, type RunningNext } from "@eventwire/conformance/next";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { fixtureDir } from "./build-fixture.js";
import { RoundRobinProxy } from "./round-robin-proxy.js";

// The serverless topology of docs/protocol.md#runtimes-and-platforms, end to end: an agent
// process with no web server publishes to Redis; two `next start` instances of the fixture app
// serve app/api/rotating (the App-router route, SSE) and two plain Node hub processes serve
// WebSocket, all on that Redis stream, with a short maxStreamMs. Each client has a round-robin
// load balancer of its own in front of its instances, so every rotation lands it on the other one.
// Nothing may be lost or repeated: every client must receive exactly events 1..N, once, in order.
const redisUrl = process.env.EVENTWIRE_REDIS_URL ?? "redis://127.0.0.1:6379";
const stream = `eventwire-rotation-${process.pid}-${Date.now().toString(36)}`;
const maxStreamMs = 250;
const rotationsPerClient = 50;
const clientsPerTransport = 2;
const bus: ChildBus = { module: new URL("../../redis/src/index.ts", import.meta.url).href, export: "redisBus", options: { url: redisUrl, stream } };

interface Tick {
  tick: { n: number };
}

let agent: HubProcess;
const nextInstances: RunningNext[] = [];
const wsInstances: HubProcess[] = [];
const proxies: RoundRobinProxy[] = [];
const streams: EventStream<Tick>[] = [];

beforeAll(async () => {
  // The first hub process transpiles the sources (cached for the others): start it, then the rest.
  agent = await HubProcess.start(bus.module);
  await agent.open(bus, { serve: false });
  const env = { EVENTWIRE_REDIS_STREAM: stream, EVENTWIRE_REDIS_URL: redisUrl, EVENTWIRE_MAX_STREAM_MS: String(maxStreamMs) };
  const [a, b, c, d] = await Promise.all([startNextCli(fixtureDir, env), startNextCli(fixtureDir, env), HubProcess.start(bus.module), HubProcess.start(bus.module)]);
  nextInstances.push(a, b);
  wsInstances.push(c, d);
  await Promise.all(wsInstances.map((instance) => instance.open(bus, { serve: true, hubOptions: { maxStreamMs } })));
}, 120_000);

afterAll(async () => {
  for (const stream of streams) stream.close();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await Promise.all([...nextInstances.map((next) => next.close()), ...wsInstances.map((instance) => instance.stop()), agent?.stop()]);
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  await admin.del(stream).finally(() => admin.disconnect());
});

/** One client behind its own round-robin proxy, recording what it receives and why it reconnected. */
async function rider(transport: "sse" | "websocket", instances: string[], lastEventId: string) {
  const proxy = await RoundRobinProxy.start(instances.map((url) => Number(new URL(url).port)));
  proxies.push(proxy);
  const path = transport === "sse" ? "/api/rotating" : "/events";
  const client = createEventStream<Tick>({ url: `${proxy.origin}${path}`, transport, WebSocket, lastEventId });
  streams.push(client);
  const received: number[] = [];
  const others: unknown[] = [];
  const reconnects: string[] = [];
  client.on("*", (event) => {
    if (event.event === "tick") received.push((event as { n: number }).n);
    else others.push(event);
  });
  client.onStatus((status, error) => void (status === "reconnecting" && reconnects.push(error?.code ?? "?")));
  return { transport, proxy, client, received, others, reconnects, rotations: () => reconnects.filter((code) => code === "stream_rotated").length };
}

describe("the serverless topology: agent on Redis, App-router instances with maxStreamMs, round-robin", () => {
  it(`loses and repeats nothing across ${rotationsPerClient}+ rotations and instance changes per client, on both transports`, { timeout: 240_000 }, async () => {
    // Every client resumes from this event's id, even on its first connection: nothing published
    // after it can be missed, however late a client's first stream opens.
    const [startId] = await agent.publishAcked([{ event: "tick", n: 0 }]);
    const nextUrls = nextInstances.map((next) => `${next.origin}/api/rotating`);
    const riders = [
      ...(await Promise.all(Array.from({ length: clientsPerTransport }, () => rider("sse", nextUrls, startId!)))),
      ...(await Promise.all(Array.from({ length: clientsPerTransport }, () => rider("websocket", wsInstances.map((instance) => instance.url), startId!)))),
    ];

    let published = 0;
    const deadline = Date.now() + 200_000;
    while (riders.some((r) => r.rotations() < rotationsPerClient)) {
      if (Date.now() > deadline) throw new Error(`rotations after 200 s: ${riders.map((r) => `${r.transport} ${r.rotations()}`).join(", ")}`);
      await agent.publishAcked([{ event: "tick", n: ++published }]);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const expected = Array.from({ length: published }, (_, i) => i + 1);
    const caughtUp = Date.now() + 30_000;
    while (riders.some((r) => r.received.length < published) && Date.now() < caughtUp) await new Promise((resolve) => setTimeout(resolve, 20));

    const figures = riders.map((r) => ({
      transport: r.transport,
      rotations: r.rotations(),
      perInstance: r.proxy.served,
      lost: expected.filter((n) => !r.received.includes(n)).length,
      repeated: r.received.length - new Set(r.received).size,
    }));
    console.log(`[serverless rotation] ${published} events; ${JSON.stringify(figures)}`);
    for (const r of riders) {
      expect(r.received).toEqual(expected);
      expect(r.others).toEqual([]); // no gap, no other control event
      expect(new Set(r.reconnects)).toEqual(new Set(["stream_rotated"]));
      expect(r.rotations()).toBeGreaterThanOrEqual(rotationsPerClient);
      // Round-robin per request: every reconnect went to the other instance.
      for (const served of r.proxy.served) expect(served).toBeGreaterThanOrEqual(rotationsPerClient / 2);
    }
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { contenders, type ContenderInfo, type ContenderServer } from "../src/contenders/index.js";
import { Histogram } from "../src/histogram.js";
import { LoadClient } from "../src/load-client.js";
import { payloadMaker, readStamp, stampMarker } from "../src/payload.js";
import { Publisher } from "../src/publisher.js";
import { publishPathCheck } from "../src/publish-path.js";
import { sendPathCheck } from "../src/send-path.js";
import { checkTargets, summarize } from "../src/report.js";
import type { BenchResults, ContenderRun } from "../src/results.js";

const subscribers = 20;
const events = 30;

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("every contender serves N subscribers and the counter sees every event once", () => {
  let server: ContenderServer | undefined;
  let client: LoadClient | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
    server = client = undefined;
  });

  const all: ContenderInfo[] = [...contenders.websocket, ...contenders.sse];
  it.each(all.map((c) => [`${c.transport} ${c.name}`, c] as const))("%s", async (_name, info) => {
    server = await info.start();
    client = new LoadClient();
    const connected = await client.connect({ kind: info.client, port: server.port, path: info.path, n: subscribers });
    expect(connected).toMatchObject({ connected: subscribers, failed: 0 });
    await until(() => server!.connections() === subscribers, "the server to see every subscriber");

    client.begin({ fromSeq: 0, capacity: events, latencyFromSeq: 0 });
    const make = payloadMaker(1000);
    for (let seq = 0; seq < events; seq++) server.publish(make(seq));
    await until(() => client!.summary(0, events).delivered === subscribers * events, "every delivery");

    const summary = client.summary(0, events);
    expect(summary).toMatchObject({ delivered: subscribers * events, minPerEvent: subscribers, maxPerEvent: subscribers, dupes: 0, strays: 0, closedByServer: 0 });
    expect(summary.latencyUs.samples).toBe(subscribers * events);
    expect(server.drops()).toBe(0);
  });

  it("the publisher keeps its schedule and reports its window", async () => {
    const info = contenders.websocket.find((c) => c.limit)!;
    server = await info.start();
    client = new LoadClient();
    await client.connect({ kind: info.client, port: server.port, path: info.path, n: 5 });
    await until(() => server!.connections() === 5, "the server to see every subscriber");
    const publisher = new Publisher(server, payloadMaker(100));
    client.begin({ fromSeq: 0, capacity: 200, latencyFromSeq: 0 });
    const report = await publisher.run({ rate: 200, warmupMs: 100, windowMs: 300 });
    expect(report.w0).toBeGreaterThan(0);
    expect(report.w1 - report.w0).toBeGreaterThanOrEqual(Math.floor(report.scheduled * 0.9));
    expect(report.connections).toBe(5);
    await until(() => client!.summary(0, report.w1).delivered === 5 * report.w1, "every delivery");
  });
});

describe("bursts", () => {
  it("the publisher's burst mode publishes exactly `burst` events in each turn of the event loop", async () => {
    const turns: number[] = [];
    let current = 0;
    const counting = {
      port: 0,
      connections: () => 0,
      drops: () => 0,
      close: async () => {},
      publish() {
        if (current++ === 0) queueMicrotask(() => (turns.push(current), (current = 0)));
      },
    };
    await new Publisher(counting, payloadMaker(100)).run({ rate: 400, warmupMs: 0, windowMs: 300, burst: 4 });
    expect(turns.length).toBeGreaterThan(0);
    expect(new Set(turns)).toEqual(new Set([4]));
  });
});

describe("measuring", () => {
  it("reads the stamp wherever the framing puts it", () => {
    const json = JSON.stringify(payloadMaker(100)(4711));
    const buf = Buffer.from(`42["message",${json}]`);
    const out = { seq: 0, t: 0 };
    expect(readStamp(buf, buf.indexOf(stampMarker), buf.length, out)).toBe(true);
    expect(out.seq).toBe(4711);
    expect(out.t).toBe(JSON.parse(json).t);
    expect(readStamp(buf, buf.indexOf(stampMarker), buf.indexOf(stampMarker) + 12, out)).toBe(false);
  });

  it("makes ~100 B and ~1 KB payloads", () => {
    expect(JSON.stringify(payloadMaker(100)(123_456)).length).toBeGreaterThan(80);
    expect(JSON.stringify(payloadMaker(100)(123_456)).length).toBeLessThan(120);
    expect(Math.abs(JSON.stringify(payloadMaker(1000)(123_456)).length - 1000)).toBeLessThan(10);
  });

  it("keeps quantiles within a few percent", () => {
    const histogram = new Histogram();
    for (let us = 1; us <= 100_000; us++) histogram.record(us);
    expect(histogram.quantile(0.5) / 50_000).toBeCloseTo(1, 1);
    expect(histogram.quantile(0.99) / 99_000).toBeCloseTo(1, 1);
    expect(histogram.quantile(0.999) / 99_900).toBeCloseTo(1, 1);
    expect(histogram.max).toBe(100_000);
    expect(histogram.quantile(0.5)).toBeGreaterThanOrEqual(50_000);
  });

  it("routes a session's event to its receivers only (counted sends, no timing in CI)", async () => {
    const result = await publishPathCheck({ events: 500, rounds: 1 });
    const big = result.cases.find((c) => c.connections === 10_000 && c.sessions === 1_000)!;
    expect(big.sendsPerEvent).toBe(10);
    expect(result.cases.every((c) => c.sendsPerEvent === c.receivers)).toBe(true);
  });
});

describe("send path", () => {
  it("drives every contender's server code with one write per delivery", async () => {
    const cases = await sendPathCheck({ subscribers: [20], deliveries: 400, rounds: 1, payloads: [100] });
    expect(cases.map((c) => c.contender).sort()).toEqual(["better-sse", "eventwire sse", "eventwire ws", "http limit", "socket.io", "ws limit", "ws naive"]);
    for (const c of cases) {
      expect(c.nsPerDelivery, c.contender).toBeGreaterThan(0);
      expect(c.writesPerDelivery, c.contender).toBeCloseTo(1, 1);
    }
  });
});

describe("report", () => {
  const step = (deliveriesPerSec: number, cpu: number, p99: number) => ({
    offeredEventsPerSec: 1, offeredDeliveriesPerSec: 1, publishedEventsPerSec: 1, deliveriesPerSec, delivered: 1, expected: 1,
    sustained: true, latencyUs: { p50: p99 / 2, p99, p999: p99, max: p99, samples: 1 }, serverCpu: 1, clientCpu: 0.5, clientBound: false,
    serverCpuUsPerDelivery: cpu, clientCpuUsPerDelivery: 1, eventLoopDelayMs: { p50: 1, p99: 1, max: 1 }, deliveriesPerCpuSecond: deliveriesPerSec,
    serverRunQueueWait: 0, drops: 0, dupes: 0, closedByServer: 0,
  });
  const run = (contender: string, rep: number, max: number, cpu: number, p99: number, heap: number): ContenderRun => ({
    transport: "websocket", subscribers: 1000, payload: 100, rep, contender, limit: contender === "ws limit", describe: "",
    max: step(max, cpu, p99), atHalfLimit: step(max / 2, cpu, p99), idle: { heapPerConnection: heap, rssPerConnection: heap, heapUsed: 0, rss: 0 },
  });

  it("takes ratios within a repetition, then the median over repetitions", () => {
    const results = {
      runs: [
        run("ws limit", 0, 100, 10, 1000, 4000), run("eventwire", 0, 95, 10.5, 1100, 5000), run("socket.io", 0, 50, 20, 2000, 9000), run("ws naive", 0, 80, 12, 1000, 4000),
        run("ws limit", 1, 50, 20, 1000, 4000), run("eventwire", 1, 40, 25, 1300, 5000), run("socket.io", 1, 20, 40, 2000, 9000), run("ws naive", 1, 40, 25, 1000, 4000),
        run("ws limit", 2, 80, 10, 1000, 4000), run("eventwire", 2, 76, 11, 1200, 5000), run("socket.io", 2, 40, 20, 2000, 9000), run("ws naive", 2, 70, 11, 1000, 4000),
      ],
    } as BenchResults;
    const [point] = summarize(results);
    const ew = point!.contenders.find((c) => c.name === "eventwire")!;
    expect(ew.vsLimit.max).toBeCloseTo(0.95); // 0.95, 0.8, 0.95
    expect(ew.vsLimit.p99).toBeCloseTo(1.2);
    expect(point!.eventwireVs["socket.io"]!.max).toBeCloseTo(1.9); // 1.9, 2, 1.9
    const checks = checkTargets([point!]);
    expect(checks.find((c) => c.target === "deliveries/s vs the limit")).toMatchObject({ met: true });
    expect(checks.find((c) => c.target.startsWith("idle heap"))).toMatchObject({ measured: 1000, met: true });
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { metrics } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createHub, MemoryBus, memoryBus, type Hub, type HubOptions } from "./index.js";

// The hub's metrics, read through a real OpenTelemetry SDK (a MeterProvider with an in-memory exporter).

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(options: HubOptions): Promise<{ hub: Hub; url: string; collect: () => Promise<Map<string, { value: unknown; attributes: Record<string, unknown> }[]>> }> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const hub = createHub({ ...options, meter: provider.getMeter("eventwire-test") });
  const server: Server = createServer((req, res) => hub.sse(req, res));
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  cleanups.push(() => provider.shutdown(), () => new Promise((done) => server.close(done)), () => hub.close());
  const collect = async () => {
    exporter.reset();
    await reader.forceFlush();
    const byName = new Map<string, { value: unknown; attributes: Record<string, unknown> }[]>();
    for (const resource of exporter.getMetrics() as ResourceMetrics[]) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          byName.set(metric.descriptor.name, metric.dataPoints.map((point) => ({ value: point.value, attributes: { ...point.attributes } })));
        }
      }
    }
    return byName;
  };
  return { hub, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, collect };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

describe("metrics through an OpenTelemetry Meter", () => {
  it("report connections by transport, events published and delivered, resumes, refusals and authorize latency", async () => {
    const { hub, url, collect } = await serve({ authorize: (request) => request.headers.authorization !== "nobody" });
    const aborts = new AbortController();
    cleanups.push(() => aborts.abort());
    const sse = await fetch(url, { signal: aborts.signal });
    const socket = new WebSocket(url.replace("http", "ws"));
    cleanups.push(() => socket.terminate());
    const received: unknown[] = [];
    socket.on("message", (data) => received.push(JSON.parse(String(data))));
    await until(() => hub.stats().connections.sse === 1 && hub.stats().connections.websocket === 1, "both connections");
    const ids = [await hub.publish({ event: "a" }), await hub.publish({ event: "b" }), await hub.publish({ event: "c" })];
    await until(() => received.length === 3, "the events on the socket");

    // Three resumes: one exact, one from an id the hub never issued, one from an earlier run's (gaps, by reason).
    const exact = await fetch(`${url}?lastEventId=${encodeURIComponent(ids[0]!)}`, { signal: aborts.signal });
    const gap = await fetch(`${url}?lastEventId=never-issued`, { signal: aborts.signal });
    const earlierRun = await new MemoryBus().cursor();
    const reset = await fetch(`${url}?lastEventId=${encodeURIComponent(earlierRun)}`, { signal: aborts.signal });
    // Three refusals: two unauthenticated, one bad query.
    const refusals = await Promise.all([
      fetch(url, { headers: { authorization: "nobody" } }),
      fetch(url, { headers: { authorization: "nobody" } }),
      fetch(`${url}?events=${encodeURIComponent("not a name")}`),
    ]);
    expect(refusals.map((response) => response.status)).toEqual([401, 401, 400]);
    expect([sse.status, exact.status, gap.status, reset.status]).toEqual([200, 200, 200, 200]);
    await until(() => hub.stats().connections.sse === 4, "the resumed streams");

    const seen = await collect();
    expect(seen.get("eventwire.connections")).toEqual([
      { value: 4, attributes: { transport: "sse" } },
      { value: 1, attributes: { transport: "websocket" } },
    ]);
    expect(seen.get("eventwire.events.published")).toEqual([{ value: 3, attributes: {} }]);
    expect(seen.get("eventwire.events.delivered")).toEqual([{ value: hub.stats().events.delivered, attributes: {} }]);
    expect(hub.stats().events.delivered).toBeGreaterThanOrEqual(6);
    expect(seen.get("eventwire.resumes")).toEqual([
      { value: 1, attributes: { outcome: "exact" } },
      { value: 1, attributes: { outcome: "gap", reason: "unknown" } },
      { value: 1, attributes: { outcome: "gap", reason: "reset" } },
    ]);
    expect(seen.get("eventwire.refusals")).toEqual([
      { value: 2, attributes: { status: 401, code: "unauthenticated" } },
      { value: 1, attributes: { status: 400, code: "bad_request" } },
    ]);
    // authorize ran for every stream and every refusal: 5 admitted, 3 refused.
    const [latency] = seen.get("eventwire.authorize.duration")!;
    expect((latency!.value as { count: number }).count).toBe(8);
    expect(seen.get("eventwire.slow_readers.dropped")).toEqual([{ value: 0, attributes: {} }]);
  });

  it("record the bus lag of each event that arrives: the time since the bus took it, by the bus's clock", async () => {
    // A bus whose clock runs 250 ms behind this process's stands for an event that took 250 ms
    // to arrive: the lag is what the bus says against this process's clock.
    const { hub, collect } = await serve({ authorize: true, bus: memoryBus({ now: () => Date.now() - 250 }) });
    for (const event of ["a", "b", "c"]) await hub.publish({ event });
    const [lag] = (await collect()).get("eventwire.bus.lag")!;
    const { count, min, max } = lag!.value as { count: number; min: number; max: number };
    expect(count).toBe(3);
    expect(min).toBeGreaterThanOrEqual(250);
    expect(max).toBeLessThan(250 + 1_000);
  });

  it("count a slow reader dropped past maxBufferedBytes", async () => {
    const { hub, url, collect } = await serve({ authorize: true, limits: { maxBufferedBytes: 64 * 1024 } });
    // A WebSocket that never reads: its unsent data grows until the hub closes it.
    const socket = new WebSocket(url.replace("http", "ws"));
    cleanups.push(() => socket.terminate());
    await new Promise((done) => socket.once("open", done));
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = "x".repeat(16 * 1024);
    for (let i = 0; i < 400 && hub.stats().events.dropped === 0; i++) await hub.publish({ event: "big", big });
    await until(() => hub.stats().events.dropped === 1, "the slow reader to be dropped");
    expect((await collect()).get("eventwire.slow_readers.dropped")).toEqual([{ value: 1, attributes: {} }]);
  });

  it("do nothing without a meter, and work with the global API's no-op meter", async () => {
    const { hub } = await serve({ authorize: true });
    expect(hub.stats().connections).toEqual({ sse: 0, websocket: 0 });
    const quiet = createHub({ authorize: true, meter: metrics.getMeter("no-sdk") });
    cleanups.push(() => quiet.close());
    await quiet.publish({ event: "a" });
    expect(quiet.stats().events.published).toBe(1);
  });
});

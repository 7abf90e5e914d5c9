/**
 * Scale runs (issue 15): many connections over several web processes sharing the Redis bus, events
 * published by a separate agent process, every message counted at the load generators.
 *
 *   node dist/scale.js --transport websocket --web 3 --connections 50000 --calls 5000 --clients 4 --rate 200
 *   node dist/scale.js --transport sse --web 1 --connections 18000 --calls 1800 --clients 2 --rate 200
 *   node dist/scale.js --transport websocket --web 1 --connections 3000 --unscoped 1000 --calls 200 \
 *                      --clients 1 --shape agents --words-per-second 15        # the agent-shaped load
 *
 * Connection i of load generator c is scoped to call `(offset_c + i) % calls`, after the first
 * `unscoped / clients` of each generator, which see every call (dashboards). Connections spread over
 * the web processes round robin and over the loopback source addresses 127.0.0.1–127.0.0.8. Reports:
 * connections held (before and after the window, drops, closes), idle heap and RSS per connection
 * of each web process, deliveries counted against those expected, latency of every delivery
 * (publish stamp in the agent to receipt, one monotonic clock), and the web processes' CPU.
 * Each process may hold 20,000 open files: run it through `scripts/scale.sh`, which sets the limit.
 */
import { spawn } from "node:child_process";
import { connect as netConnect } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Histogram } from "./histogram.js";
import { Remote } from "./ipc.js";
import type { StepSummary } from "./load-client.js";

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, "..");
const log = (message: string) => process.stderr.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parse(argv: string[]) {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!;
    if (key.startsWith("--")) args.set(key.slice(2), argv[i + 1]?.startsWith("--") === false ? argv[++i]! : "true");
  }
  const num = (name: string, fallback: number) => Number(args.get(name) ?? fallback);
  const transport = (args.get("transport") ?? "websocket") as "websocket" | "sse";
  return {
    transport,
    web: num("web", 3),
    connections: num("connections", 50_000),
    calls: num("calls", 5_000),
    unscoped: num("unscoped", 0),
    clients: num("clients", 4),
    shape: (args.get("shape") ?? "steady") as "steady" | "agents",
    rate: num("rate", 200),
    wordsPerSecond: num("words-per-second", 15),
    warmupMs: num("warmup-ms", 2_000),
    windowMs: num("window-ms", 10_000),
    out: args.get("out") ?? join(benchDir, "results", `scale-${transport}.json`),
  };
}

function child(name: string, script: string, nodeArgs: string[] = []): Remote {
  return new Remote(name, spawn(process.execPath, [...nodeArgs, join(here, script)], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
}

function redisDel(key: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: "127.0.0.1", port: 6379 }, () => socket.write(`*2\r\n$3\r\nDEL\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`));
    const done = () => (socket.destroy(), resolve());
    socket.once("data", done);
    socket.once("error", done);
    socket.setTimeout(3_000, done);
  });
}

type Memory = { heapUsed: number; rss: number };
type Stats = { connections: { sse: number; websocket: number }; events: { published: number; delivered: number; dropped: number } };

async function main(): Promise<void> {
  const s = parse(process.argv.slice(2));
  const started = Date.now();
  const stream = `ewbench_scale_${process.pid}_${started}`;
  log(`scale run: ${s.connections} ${s.transport} connections over ${s.web} web process(es), ${s.calls} calls, ${s.unscoped} unscoped, ${s.clients} load generators, ${s.shape === "steady" ? `${s.rate} events/s` : `${s.calls} calls × ${s.wordsPerSecond} words/s`} (load average ${loadavg().map((x) => x.toFixed(1)).join(" ")})`);
  const webs = Array.from({ length: s.web }, (_, i) => child(`web ${i + 1}`, "scale-web.js", ["--expose-gc"]));
  const clients = Array.from({ length: s.clients }, (_, i) => child(`load generator ${i + 1}`, "client-process.js"));
  const agent = child("agent", "scale-agent.js");
  const result: Record<string, unknown> = { startedAt: new Date(started).toISOString(), settings: s, loadAverageAtStart: loadavg() };
  try {
    const ports = (await Promise.all(webs.map((w) => w.call<{ port: number }>("start", { stream })))).map((r) => r.port);
    const before = await Promise.all(webs.map((w) => w.call<Memory>("memory")));
    // Who sees which call: the same assignment the load generators make.
    const perClient = Math.ceil(s.connections / s.clients);
    const unscopedPerClient = Math.floor(s.unscoped / s.clients);
    const viewers = new Uint32Array(s.calls);
    const connectStarted = Date.now();
    const connected = await Promise.all(
      clients.map((client, c) => {
        const n = Math.min(perClient, s.connections - c * perClient);
        const offset = c * perClient;
        for (let i = unscopedPerClient; i < n; i++) viewers[(offset + i) % s.calls]!++;
        return client.call<{ connected: number; failed: number; ms: number; errors: string[] }>(
          "connect",
          { options: { kind: s.transport === "sse" ? "sse" : "ws", port: ports[0], ports, path: "/events", n, sourceAddresses: 8, sessions: { count: s.calls, offset, unscoped: unscopedPerClient } } },
          900_000,
        );
      }),
    );
    const connectMs = Date.now() - connectStarted;
    const failed = connected.reduce((a, r) => a + r.failed, 0);
    log(`  connected ${connected.reduce((a, r) => a + r.connected, 0)} in ${(connectMs / 1000).toFixed(1)} s, ${failed} failed ${connected.flatMap((r) => r.errors).join("; ")}`);
    const count = async () => (await Promise.all(webs.map((w) => w.call<number>("connections")))).reduce((a, b) => a + b, 0);
    for (let waited = 0; (await count()) < s.connections - failed && waited < 60_000; waited += 500) await sleep(500);
    await sleep(2_000);
    const held = await Promise.all(webs.map((w) => w.call<number>("connections")));
    const after = await Promise.all(webs.map((w) => w.call<Memory>("memory")));
    const idle = webs.map((_, i) => ({ connections: held[i]!, heapPerConnection: (after[i]!.heapUsed - before[i]!.heapUsed) / held[i]!, rssPerConnection: (after[i]!.rss - before[i]!.rss) / held[i]!, heapUsed: after[i]!.heapUsed, rss: after[i]!.rss }));
    log(`  held ${held.join(" + ")} = ${held.reduce((a, b) => a + b, 0)}; idle heap per connection ${idle.map((x) => Math.round(x.heapPerConnection)).join(", ")} B, RSS ${idle.map((x) => Math.round(x.rssPerConnection)).join(", ")} B`);
    Object.assign(result, { connectMs, failed, held, idle });

    await agent.call("start", { stream });
    const eventsPerSecond = s.shape === "steady" ? s.rate : s.calls * s.wordsPerSecond;
    const capacity = Math.ceil((eventsPerSecond * (s.warmupMs + s.windowMs)) / 1000 * 1.5) + 100;
    const latencyFromSeq = Math.floor((eventsPerSecond * s.warmupMs) / 1000);
    await Promise.all(clients.map((c) => c.call("begin", { step: { fromSeq: 0, capacity, latencyFromSeq } })));
    const cpu0 = await Promise.all(webs.map((w) => w.call<NodeJS.CpuUsage>("cpu")));
    const stats0 = await Promise.all(webs.map((w) => w.call<Stats>("stats")));
    const published = await agent.call<{ from: number; to: number; calls: number[] }>("run", { shape: s.shape, calls: s.calls, rate: s.rate, wordsPerSecond: s.wordsPerSecond, ms: s.warmupMs + s.windowMs }, 600_000);
    const windowEnd = Date.now();
    let expected = 0;
    for (const call of published.calls) expected += viewers[call]! + s.unscoped;
    const summaries = async () => Promise.all(clients.map((c) => c.call<StepSummary>("summary", { w0: published.from, w1: published.to })));
    let summary = await summaries();
    const total = () => summary.reduce((a, x) => a + x.delivered, 0);
    for (let waited = 0; total() < expected && waited < 15_000; waited += 250) {
      await sleep(250);
      summary = await summaries();
    }
    const drainMs = Date.now() - windowEnd;
    const cpu1 = await Promise.all(webs.map((w) => w.call<NodeJS.CpuUsage>("cpu")));
    const stats1 = await Promise.all(webs.map((w) => w.call<Stats>("stats")));
    const heldAfter = await Promise.all(webs.map((w) => w.call<number>("connections")));
    const histogram = new Histogram();
    for (const c of clients) {
      const h = await c.call<{ counts: number[]; total: number; max: number }>("histogram");
      const other = new Histogram();
      other.counts.set(h.counts);
      other.total = h.total;
      other.max = h.max;
      histogram.merge(other);
    }
    const cpuUs = cpu1.reduce((a, c, i) => a + c.user + c.system - cpu0[i]!.user - cpu0[i]!.system, 0);
    const delivered = total();
    const run = {
      events: published.to - published.from,
      eventsPerSecond,
      expected,
      delivered,
      missing: expected - delivered,
      dupes: summary.reduce((a, x) => a + x.dupes, 0),
      closedByServer: summary.reduce((a, x) => a + x.closedByServer, 0),
      dropped: stats1.reduce((a, x, i) => a + x.events.dropped - stats0[i]!.events.dropped, 0),
      heldAfter,
      drainMs,
      latencyMs: { p50: histogram.quantile(0.5) / 1000, p99: histogram.quantile(0.99) / 1000, p999: histogram.quantile(0.999) / 1000, max: histogram.max / 1000, samples: histogram.total },
      webCpuUsPerDelivery: cpuUs / delivered,
      webCpuShare: cpuUs / ((s.warmupMs + s.windowMs + drainMs) * 1000),
    };
    Object.assign(result, { run });
    log(`  ${run.events} events → ${delivered} of ${expected} deliveries (${run.missing} missing, ${run.dupes} dupes, ${run.closedByServer} closed by server, ${run.dropped} dropped as slow); held after ${heldAfter.reduce((a, b) => a + b, 0)}`);
    log(`  latency p50 ${run.latencyMs.p50.toFixed(1)} ms, p99 ${run.latencyMs.p99.toFixed(1)} ms, p99.9 ${run.latencyMs.p999.toFixed(1)} ms, max ${run.latencyMs.max.toFixed(1)} ms over ${run.latencyMs.samples} deliveries; web CPU ${run.webCpuUsPerDelivery.toFixed(1)} µs/delivery`);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`  failed: ${result.error}`);
  } finally {
    await Promise.all([...clients, ...webs, agent].map((r) => r.stop()));
    await redisDel(stream);
    result.durationS = Math.round((Date.now() - started) / 1000);
    result.loadAverageAtEnd = loadavg();
    mkdirSync(dirname(s.out), { recursive: true });
    writeFileSync(s.out, `${JSON.stringify(result, null, 1)}\n`);
    log(`done in ${result.durationS} s: ${s.out}`);
  }
}

await main();
process.exit(0);

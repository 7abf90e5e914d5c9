/**
 * What a bus adds (issue 5): the same hub, served on node:http, with one SSE and one WebSocket
 * subscriber, publishing at a fixed modest rate, on each bus in turn: the in-memory bus (the
 * default), `@eventwire/redis` (Redis Streams at 127.0.0.1:6379) and `@eventwire/nats` (JetStream
 * at 127.0.0.1:4222). The buses are interleaved in rounds (memory, redis, nats, memory, ...) so
 * they are measured side by side under the same machine load; each figure is the median over
 * rounds, and each ratio is taken to the in-memory bus of the same round, then the median.
 *
 *   node dist/bus-latency.js [--rounds 3] [--rate 500] [--warmup-ms 1000] [--window-ms 4000]
 *                            [--buses memory,redis,nats] [--out results/bus-latency.json]
 *
 * Latency: publish → receive at the clients. The publisher stamps `t` (µs from
 * `process.hrtime.bigint()`, CLOCK_MONOTONIC, shared by every process on the machine) right
 * before `hub.publish`; the subscribers (a raw node:http SSE client and a `ws` client, in a child
 * process so their parsing is not counted as the server's CPU) subtract it from their own clock.
 * CPU per event: `process.cpuUsage()` of the hub's process over the window (and the drain after
 * it, polled with counts only; the latencies are fetched after the CPU is read) ÷ events published in the window. It includes the bus client's work (ioredis / nats.js) but
 * not the Redis or NATS server's own CPU, which runs in another process.
 *
 * Every case uses a stream of its own (a unique Redis key / JetStream stream), deleted after it.
 * Bounded: each case is warm-up + window + at most 3 s of drain; a case that cannot open its bus
 * within 5 s is reported as an error and the run goes on.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, get, type IncomingMessage, type Server } from "node:http";
import { connect as netConnect } from "node:net";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHub, type Bus } from "@eventwire/core";
import { natsBus } from "@eventwire/nats";
import { redisBus } from "@eventwire/redis";
import WebSocket from "ws";
import { payloadMaker } from "./payload.js";

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, "..");
const REDIS_URL = "redis://127.0.0.1:6379";
const NATS_SERVERS = "127.0.0.1:4222";

type BusName = "memory" | "redis" | "nats";
const log = (message: string) => process.stderr.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

// ---------------------------------------------------------------------------------------------
// The subscribers (child process): one SSE and one WebSocket client on the hub.

interface ClientStats {
  /** Latencies (µs) of the events with s in [from, to). */
  latencyUs: number[];
  received: number;
  dupes: number;
}

interface SubscriberSummary {
  sse: ClientStats;
  ws: ClientStats;
}

type ToChild = { type: "connect"; port: number } | { type: "summary"; from: number; to: number; /** Without it, counts only (cheap to poll during the drain). */ full?: boolean } | { type: "close" };
type FromChild = { type: "connected" } | { type: "error"; message: string } | { type: "summary"; summary: SubscriberSummary; missing: number };

function subscriberProcess(): void {
  const seen = { sse: new Map<number, number>(), ws: new Map<number, number>() };
  const last = { sse: -1, ws: -1 };
  const dupes = { sse: 0, ws: 0 };
  const onEvent = (kind: "sse" | "ws", json: string) => {
    const now = nowUs();
    const event = JSON.parse(json) as { s: number; t: number };
    if (event.s <= last[kind]) dupes[kind]++;
    last[kind] = event.s;
    seen[kind].set(event.s, now - event.t);
  };
  const send = (message: FromChild) => process.send!(message);
  let sseRes: IncomingMessage | undefined;
  let socket: WebSocket | undefined;

  process.on("message", (message: ToChild) => {
    if (message.type === "connect") {
      // A new case: its sequence numbers start again from 0.
      sseRes?.destroy();
      socket?.terminate();
      for (const kind of ["sse", "ws"] as const) {
        seen[kind].clear();
        last[kind] = -1;
        dupes[kind] = 0;
      }
      let ready = 0;
      const oneReady = () => {
        if (++ready === 2) send({ type: "connected" });
      };
      const fail = (error: Error) => send({ type: "error", message: error.message });
      const req = get({ host: "127.0.0.1", port: message.port, path: "/events", headers: { accept: "text/event-stream" } }, (res) => {
        sseRes = res;
        if (res.statusCode !== 200) return fail(new Error(`SSE answered ${res.statusCode}`));
        res.setEncoding("utf8");
        let pending = "";
        res.on("data", (chunk: string) => {
          pending += chunk;
          let end: number;
          while ((end = pending.indexOf("\n\n")) >= 0) {
            const block = pending.slice(0, end);
            pending = pending.slice(end + 2);
            const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(line[5] === " " ? 6 : 5));
            if (data.length) onEvent("sse", data.join("\n"));
          }
        });
        oneReady();
      });
      req.on("error", fail);
      socket = new WebSocket(`ws://127.0.0.1:${message.port}/events`, { perMessageDeflate: false });
      socket.on("open", oneReady);
      socket.on("error", fail);
      socket.on("message", (data) => {
        // An eventwire WebSocket message is the event's JSON with its id; ignore anything else.
        const text = data.toString();
        if (text.includes('"s":')) onEvent("ws", text);
      });
    } else if (message.type === "summary") {
      const stats = (kind: "sse" | "ws"): ClientStats => {
        const latencyUs: number[] = [];
        let received = 0;
        for (let s = message.from; s < message.to; s++) {
          const us = seen[kind].get(s);
          if (us === undefined) continue;
          received++;
          if (message.full) latencyUs.push(us);
        }
        return { latencyUs, received, dupes: dupes[kind] };
      };
      const summary = { sse: stats("sse"), ws: stats("ws") };
      const expected = message.to - message.from;
      send({ type: "summary", summary, missing: 2 * expected - summary.sse.received - summary.ws.received });
    } else if (message.type === "close") {
      sseRes?.destroy();
      socket?.terminate();
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The hub's side (parent process).

function call(child: ChildProcess, message: ToChild, expect: FromChild["type"], timeoutMs = 10_000): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", on);
      reject(new Error(`the subscribers did not answer ${message.type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (reply: FromChild) => {
      if (reply.type !== expect && reply.type !== "error") return;
      clearTimeout(timer);
      child.off("message", on);
      if (reply.type === "error") reject(new Error(reply.message));
      else resolve(reply);
    };
    child.on("message", on);
    child.send(message);
  });
}

/** Deletes a Redis key with one raw RESP command (no client library needed for the clean-up). */
function redisDel(key: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: "127.0.0.1", port: 6379 }, () => {
      socket.write(`*2\r\n$3\r\nDEL\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`);
    });
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.once("data", done);
    socket.once("error", done);
    socket.setTimeout(3_000, done);
  });
}

/** Deletes a JetStream stream with the raw NATS protocol: a request on `$JS.API.STREAM.DELETE.<name>`. */
function natsDeleteStream(stream: string): Promise<void> {
  return new Promise((resolve) => {
    const [host, port] = NATS_SERVERS.split(":");
    const socket = netConnect({ host, port: Number(port) });
    const inbox = `_INBOX.bench${process.pid}${Date.now()}`;
    let text = "";
    let sent = false;
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (!sent && text.includes("INFO ")) {
        sent = true;
        socket.write(`CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nSUB ${inbox} 1\r\nPUB $JS.API.STREAM.DELETE.${stream} ${inbox} 0\r\n\r\n`);
      }
      if (text.includes(`MSG ${inbox}`) || text.includes("-ERR")) done();
    });
    socket.once("error", done);
    socket.setTimeout(3_000, done);
  });
}

interface CaseResult {
  bus: BusName;
  round: number;
  stream?: string;
  published?: number;
  failedPublishes?: number;
  /** Deliveries missing at the end of the drain (events × 2 subscribers − received). */
  missing?: number;
  dupes?: number;
  latencyUs?: { p50: number; p99: number; samples: number };
  sseLatencyUs?: { p50: number; p99: number };
  wsLatencyUs?: { p50: number; p99: number };
  cpuUsPerEvent?: number;
  windowMs?: number;
  error?: string;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(values: number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

function makeBus(bus: BusName, stream: string): Bus | undefined {
  if (bus === "redis") return redisBus({ url: REDIS_URL, stream, connectTimeoutMs: 5_000 });
  if (bus === "nats") return natsBus({ servers: NATS_SERVERS, stream, connectTimeoutMs: 5_000 });
  return undefined;
}

async function cleanUp(bus: BusName, stream: string): Promise<void> {
  if (bus === "redis") await redisDel(stream);
  if (bus === "nats") await natsDeleteStream(stream);
}

interface Settings {
  rounds: number;
  rate: number;
  warmupMs: number;
  windowMs: number;
  buses: BusName[];
}

async function runCase(bus: BusName, round: number, settings: Settings, child: ChildProcess, runId: string): Promise<CaseResult> {
  const stream = `ewbench_${runId}_${bus}_${round}`;
  const result: CaseResult = { bus, round, ...(bus === "memory" ? {} : { stream }) };
  const hub = createHub({
    sessionKey: "callId",
    authorize: true,
    bus: makeBus(bus, stream),
    logger: { warn() {}, error: (message, error) => log(`  ${bus}: ${message} ${String(error ?? "")}`) },
  });
  let server: Server | undefined;
  try {
    await Promise.race([hub.ready(), sleep(6_000).then(() => Promise.reject(new Error("the bus did not open within 6 s")))]);
    server = createServer((req, res) => void hub.sse(req, res));
    server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await call(child, { type: "connect", port }, "connected");
    for (let waited = 0; hub.stats().connections.sse < 1 || hub.stats().connections.websocket < 1; waited += 10) {
      if (waited > 5_000) throw new Error("the hub does not see both subscribers");
      await sleep(10);
    }

    // A fixed-rate publisher: as many events as the schedule calls for since the start, checked
    // every 2 ms (catching up at most 20 ms worth after a late tick). `t` is stamped right before
    // `hub.publish`, so a late tick does not count as latency.
    const make = payloadMaker(100);
    let seq = 0;
    let failed = 0;
    const start = performance.now();
    const windowFrom = Math.floor((settings.rate * settings.warmupMs) / 1000);
    const windowTo = windowFrom + Math.floor((settings.rate * settings.windowMs) / 1000);
    let cpuAt = process.cpuUsage();
    let windowStart = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(windowTo, Math.floor(((performance.now() - start) * settings.rate) / 1000));
        for (let burst = 0; seq < due && burst < settings.rate / 50; burst++) {
          if (seq === windowFrom) {
            cpuAt = process.cpuUsage();
            windowStart = performance.now();
          }
          const event = make(seq++);
          event.t = nowUs();
          hub.publish(event).catch(() => void failed++);
        }
        if (seq >= windowTo) resolve();
        else setTimeout(tick, 2);
      };
      tick();
    });
    result.windowMs = performance.now() - windowStart;
    // Drain: until both subscribers have every event of the window, at most 3 s.
    let reply = (await call(child, { type: "summary", from: windowFrom, to: windowTo }, "summary")) as Extract<FromChild, { type: "summary" }>;
    for (let waited = 0; reply.missing > 0 && waited < 3_000; waited += 20) {
      await sleep(20);
      reply = (await call(child, { type: "summary", from: windowFrom, to: windowTo }, "summary")) as Extract<FromChild, { type: "summary" }>;
    }
    const cpu = process.cpuUsage(cpuAt);
    reply = (await call(child, { type: "summary", from: windowFrom, to: windowTo, full: true }, "summary")) as Extract<FromChild, { type: "summary" }>;
    const events = windowTo - windowFrom;
    const all = [...reply.summary.sse.latencyUs, ...reply.summary.ws.latencyUs].sort((a, b) => a - b);
    const sse = [...reply.summary.sse.latencyUs].sort((a, b) => a - b);
    const ws = [...reply.summary.ws.latencyUs].sort((a, b) => a - b);
    Object.assign(result, {
      published: seq,
      failedPublishes: failed,
      missing: reply.missing,
      dupes: reply.summary.sse.dupes + reply.summary.ws.dupes,
      latencyUs: { p50: quantile(all, 0.5), p99: quantile(all, 0.99), samples: all.length },
      sseLatencyUs: { p50: quantile(sse, 0.5), p99: quantile(sse, 0.99) },
      wsLatencyUs: { p50: quantile(ws, 0.5), p99: quantile(ws, 0.99) },
      cpuUsPerEvent: (cpu.user + cpu.system) / events,
    });
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    await Promise.race([hub.close(), sleep(3_000)]);
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    }
    await cleanUp(bus, stream);
  }
  return result;
}

export interface BusSummary {
  bus: BusName;
  cases: number;
  errors: string[];
  p50Ms: number;
  p99Ms: number;
  sseP50Ms: number;
  sseP99Ms: number;
  wsP50Ms: number;
  wsP99Ms: number;
  cpuUsPerEvent: number;
  /** Same-round ratio to the in-memory bus, median over rounds. */
  p50VsMemory: number;
  p99VsMemory: number;
  cpuVsMemory: number;
  missing: number;
  dupes: number;
  failedPublishes: number;
}

function summarize(cases: CaseResult[], buses: BusName[]): BusSummary[] {
  const ok = cases.filter((c) => !c.error);
  const memoryOf = (round: number) => ok.find((c) => c.bus === "memory" && c.round === round);
  return buses.map((bus) => {
    const mine = ok.filter((c) => c.bus === bus);
    const ratio = (pick: (c: CaseResult) => number) =>
      median(mine.map((c) => {
        const base = memoryOf(c.round);
        return base ? pick(c) / pick(base) : Number.NaN;
      }));
    return {
      bus,
      cases: mine.length,
      errors: cases.filter((c) => c.bus === bus && c.error).map((c) => `round ${c.round + 1}: ${c.error}`),
      p50Ms: median(mine.map((c) => c.latencyUs!.p50)) / 1000,
      p99Ms: median(mine.map((c) => c.latencyUs!.p99)) / 1000,
      sseP50Ms: median(mine.map((c) => c.sseLatencyUs!.p50)) / 1000,
      sseP99Ms: median(mine.map((c) => c.sseLatencyUs!.p99)) / 1000,
      wsP50Ms: median(mine.map((c) => c.wsLatencyUs!.p50)) / 1000,
      wsP99Ms: median(mine.map((c) => c.wsLatencyUs!.p99)) / 1000,
      cpuUsPerEvent: median(mine.map((c) => c.cpuUsPerEvent!)),
      p50VsMemory: ratio((c) => c.latencyUs!.p50),
      p99VsMemory: ratio((c) => c.latencyUs!.p99),
      cpuVsMemory: ratio((c) => c.cpuUsPerEvent!),
      missing: mine.reduce((sum, c) => sum + (c.missing ?? 0), 0),
      dupes: mine.reduce((sum, c) => sum + (c.dupes ?? 0), 0),
      failedPublishes: mine.reduce((sum, c) => sum + (c.failedPublishes ?? 0), 0),
    };
  });
}

export function renderBusTable(summaries: BusSummary[]): string {
  const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
  const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "–");
  const lines = [
    "| bus | p50 ms | ×mem | p99 ms | ×mem | SSE p50 / p99 ms | WS p50 / p99 ms | server CPU µs/event | ×mem | rounds | missing / dupes |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of summaries) {
    lines.push(
      `| ${s.bus} | ${f(s.p50Ms)} | ${x(s.p50VsMemory)} | ${f(s.p99Ms)} | ${x(s.p99VsMemory)} | ${f(s.sseP50Ms)} / ${f(s.sseP99Ms)} | ${f(s.wsP50Ms)} / ${f(s.wsP99Ms)} | ${f(s.cpuUsPerEvent, 1)} | ${x(s.cpuVsMemory)} | ${s.cases}${s.errors.length ? ` (${s.errors.length} failed)` : ""} | ${s.missing} / ${s.dupes} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function parseArgs(argv: string[]): Settings & { out: string } {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) if (argv[i]!.startsWith("--")) args.set(argv[i]!.slice(2), argv[++i] ?? "");
  const buses = (args.get("buses")?.split(",") ?? ["memory", "redis", "nats"]) as BusName[];
  for (const bus of buses) if (!["memory", "redis", "nats"].includes(bus)) throw new Error(`unknown bus ${bus}; use memory, redis, nats`);
  return {
    rounds: Number(args.get("rounds") ?? 3),
    rate: Number(args.get("rate") ?? 500),
    warmupMs: Number(args.get("warmup-ms") ?? 1_000),
    windowMs: Number(args.get("window-ms") ?? 4_000),
    buses: buses.includes("memory") ? buses : ["memory", ...buses],
    out: args.get("out") ?? join(benchDir, "results", "bus-latency.json"),
  };
}

async function main(): Promise<void> {
  const { out, ...settings } = parseArgs(process.argv.slice(2));
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const startedAt = new Date();
  log(`bus latency: ${settings.buses.join(", ")} × ${settings.rounds} rounds, ${settings.rate} events/s, ${settings.warmupMs} ms warm-up + ${settings.windowMs} ms window each (load ${loadavg().map((l) => l.toFixed(2)).join(" ")})`);
  const child = fork(fileURLToPath(import.meta.url), ["--subscribers"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const cases: CaseResult[] = [];
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (const bus of settings.buses) {
        const result = await runCase(bus, round, settings, child, runId);
        cases.push(result);
        log(
          result.error
            ? `  round ${round + 1} ${bus.padEnd(6)} ERROR ${result.error}`
            : `  round ${round + 1} ${bus.padEnd(6)} p50 ${(result.latencyUs!.p50 / 1000).toFixed(2)} ms  p99 ${(result.latencyUs!.p99 / 1000).toFixed(2)} ms  ${result.cpuUsPerEvent!.toFixed(1)} µs CPU/event  missing ${result.missing}`,
        );
      }
    }
  } finally {
    child.send({ type: "close" } satisfies ToChild);
  }
  const summaries = summarize(cases, settings.buses);
  const results = {
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: { cpu: cpus()[0]?.model ?? "?", cores: cpus().length, node: process.version, loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100) },
    settings,
    method:
      "One hub per case on node:http (127.0.0.1) with one SSE and one WebSocket subscriber in a child process; fixed-rate publisher; latency = receive − publish stamp (hrtime µs); CPU = hub process cpuUsage over the window and drain ÷ events (Redis/NATS servers' own CPU not included). Buses interleaved per round; ratios to the same round's in-memory bus, median over rounds.",
    summaries,
    cases,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 1)}\n`);
  process.stdout.write(renderBusTable(summaries));
  log(`done in ${results.durationS} s: ${out}`);
}

if (process.argv.includes("--subscribers")) subscriberProcess();
else if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
  process.exit(0);
}

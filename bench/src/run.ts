/**
 * The benchmark orchestrator: for each point of the matrix (transport, subscribers, payload) and
 * each repetition, runs every contender of the transport side by side, each in a fresh server
 * process pinned to core 0 with the load generator pinned to core 1, and writes
 * results/latest.json and results/latest.md.
 *
 *   node dist/run.js --profile quick|full [--transports websocket,sse] [--n 1000,10000]
 *                    [--payloads 100,1000] [--reps 3] [--contenders eventwire,socket.io]
 *                    [--skip-checks | --checks-only] [--update-doc] [--out results/latest.json]
 *
 * The full profile (and --update-doc) also writes the tables into BENCHMARKS.md, between its markers.
 *
 * BENCH_BASELINE_CORE=/path/to/other/core/dist/index.js adds "eventwire@base" (another build of the
 * core) to every point and to the send-path check: a before/after measured side by side.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { contenders, type ContenderInfo, type Transport } from "./contenders/index.js";
import { Remote } from "./ipc.js";
import type { StepSummary } from "./load-client.js";
import type { PayloadSize } from "./payload.js";
import type { PublishPathResult } from "./publish-path.js";
import type { SendPathCase } from "./send-path.js";
import type { RateStep, ServerStepReport } from "./publisher.js";
import { renderMarkdown } from "./report.js";
import type { BenchResults, ContenderRun, StepResult } from "./results.js";

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, "..");

interface Profile {
  transports: Transport[];
  subscribers: number[];
  payloads: PayloadSize[];
  reps: number;
  warmupMs: number;
  windowMs: number;
  /** Search stops when the first failing rate is within this factor of the last passing one. */
  precision: number;
  /** The in-process send-path check: subscriber counts, deliveries per round, rounds. */
  sendPath: { subscribers: number[]; deliveries: number; rounds: number };
}

const profiles: Record<string, Profile> = {
  quick: {
    transports: ["websocket", "sse"], subscribers: [1_000, 10_000], payloads: [100], reps: 1, warmupMs: 400, windowMs: 1_200, precision: 1.25,
    sendPath: { subscribers: [1_000], deliveries: 100_000, rounds: 7 },
  },
  full: {
    transports: ["websocket", "sse"], subscribers: [1, 100, 1_000, 10_000], payloads: [100, 1000], reps: 3, warmupMs: 500, windowMs: 2_000, precision: 1.12,
    sendPath: { subscribers: [1_000, 10_000], deliveries: 200_000, rounds: 9 },
  },
};

function parseArgs(argv: string[]): { profileName: string; profile: Profile; out: string; contenderNames?: string[]; skipChecks: boolean; updateDoc: boolean; checksOnly: boolean } {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!;
    if (key.startsWith("--")) args.set(key.slice(2), argv[i + 1]?.startsWith("--") === false ? argv[++i]! : "true");
  }
  const profileName = args.get("profile") ?? "quick";
  const base = profiles[profileName];
  if (!base) throw new Error(`unknown profile ${profileName}; use quick or full`);
  const list = (name: string) => args.get(name)?.split(",").map((s) => s.trim());
  const profile: Profile = {
    ...base,
    transports: (list("transports") as Transport[] | undefined) ?? base.transports,
    subscribers: list("n")?.map(Number) ?? base.subscribers,
    payloads: (list("payloads")?.map(Number) as PayloadSize[] | undefined) ?? base.payloads,
    reps: Number(args.get("reps") ?? base.reps),
  };
  return {
    profileName,
    profile,
    out: args.get("out") ?? join(benchDir, "results", "latest.json"),
    contenderNames: list("contenders"),
    skipChecks: args.get("skip-checks") === "true",
    updateDoc: args.get("update-doc") === "true",
    checksOnly: args.get("checks-only") === "true",
  };
}

/** Pins to a core where the machine has two or more and taskset is here. */
const canPin = cpus().length >= 2 && spawnSync("taskset", ["-c", "0", "true"]).status === 0;

function startChild(name: string, script: string, core: number, nodeArgs: string[] = []): Remote {
  const command = canPin ? "taskset" : process.execPath;
  const args = [...(canPin ? ["-c", String(core), process.execPath] : []), ...nodeArgs, join(here, script)];
  const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Remote(name, child);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => process.stderr.write(`${message}\n`);

/** A live contender: its server and the load generator with N subscribers connected. */
class Session {
  constructor(
    readonly info: ContenderInfo,
    readonly n: number,
    readonly server: Remote,
    readonly client: Remote,
    readonly profile: Profile,
  ) {}

  async step(rate: number, warmupMs = this.profile.warmupMs, minWindowMs = this.profile.windowMs): Promise<StepResult> {
    // At 10,000 subscribers a few events a second saturate a core: the window spans at least 12
    // events, so the count is not a matter of rounding.
    const windowMs = Math.min(8_000, Math.max(minWindowMs, (12 * 1000) / rate));
    const fromSeq = await this.server.call<number>("nextSeq");
    const total = (rate * (warmupMs + windowMs + 500)) / 1000;
    await this.client.call("begin", { step: { fromSeq, capacity: Math.ceil(total * 1.1) + 64, latencyFromSeq: fromSeq + Math.floor((rate * warmupMs) / 1000) } });
    const step: RateStep = { rate, warmupMs, windowMs };
    const server = await this.server.call<ServerStepReport>("step", { step });
    const expected = (server.w1 - server.w0) * this.n;
    let client = await this.client.call<StepSummary>("summary", { w0: server.w0, w1: server.w1 });
    // Whatever is still in flight gets a moment to arrive; what has not after it was not sustained.
    for (let waited = 0; client.delivered < expected && waited < 1_500; waited += 100) {
      await sleep(100);
      client = await this.client.call<StepSummary>("summary", { w0: server.w0, w1: server.w1 });
    }
    const windowS = server.windowMs / 1000;
    const deliveriesPerSec = client.delivered / windowS;
    const serverCpu = server.cpuUs / (server.windowMs * 1000);
    const clientCpu = client.cpuUs / (client.wallMs * 1000);
    const published = server.w1 - server.w0;
    const sustained =
      client.delivered >= expected * 0.999 &&
      published >= server.scheduled * 0.97 &&
      server.drops === 0 &&
      client.latencyUs.p50 <= 1_000_000;
    return {
      offeredEventsPerSec: rate,
      offeredDeliveriesPerSec: rate * this.n,
      publishedEventsPerSec: published / windowS,
      deliveriesPerSec,
      delivered: client.delivered,
      expected,
      sustained,
      latencyUs: client.latencyUs,
      serverCpu,
      clientCpu,
      clientBound: clientCpu >= 0.9,
      serverCpuUsPerDelivery: client.delivered > 0 ? server.cpuUs / client.delivered : Number.NaN,
      clientCpuUsPerDelivery: client.delivered > 0 ? (clientCpu * server.windowMs * 1000) / client.delivered : Number.NaN,
      eventLoopDelayMs: server.eventLoopDelayMs,
      deliveriesPerCpuSecond: server.cpuUs > 0 ? client.delivered / (server.cpuUs / 1e6) : Number.NaN,
      serverRunQueueWait: server.runQueueWait,
      drops: server.drops,
      dupes: client.dupes,
      closedByServer: client.closedByServer,
    };
  }

  /**
   * A step that failed while the server waited for its core more than a quarter of the time
   * (other processes on this shared machine) says little about the server: it is run again, at
   * most twice, and the least disturbed try counts.
   */
  async undisturbedStep(rate: number, windowMs = this.profile.windowMs): Promise<StepResult> {
    let best = await this.step(rate, this.profile.warmupMs, windowMs);
    for (let retry = 0; retry < 2 && !best.sustained && best.drops === 0 && best.closedByServer === 0 && best.serverRunQueueWait > 0.25; retry++) {
      await sleep(1_000);
      const again = await this.step(rate, this.profile.warmupMs, windowMs);
      if (again.sustained || again.serverRunQueueWait < best.serverRunQueueWait) best = again;
    }
    return best;
  }

  /** The highest offered rate whose events all reach every subscriber, in time, without drops. */
  async findMax(startDeliveries: number): Promise<{ best: StepResult | undefined; steps: StepResult[] }> {
    const steps: StepResult[] = [];
    let pass: StepResult | undefined;
    let fail: StepResult | undefined;
    let rate = startDeliveries / this.n;
    for (let i = 0; i < 12; i++) {
      const result = await this.undisturbedStep(rate);
      steps.push(result);
      log(`    ${this.info.name.padEnd(10)} ${fmt(result.offeredDeliveriesPerSec)}/s offered → ${fmt(result.deliveriesPerSec)}/s ${result.sustained ? "ok" : "NOT sustained"}  p99 ${(result.latencyUs.p99 / 1000).toFixed(1)} ms  server ${pct(result.serverCpu)} (waited ${pct(result.serverRunQueueWait)}) client ${pct(result.clientCpu)}${result.drops ? ` drops ${result.drops}` : ""}`);
      if (result.sustained) pass = result.offeredEventsPerSec > (pass?.offeredEventsPerSec ?? 0) ? result : pass;
      else fail = !fail || result.offeredEventsPerSec < fail.offeredEventsPerSec ? result : fail;
      if (result.drops > 0 || result.closedByServer > 0) {
        // Dropped subscribers are gone for the rest of this session: stop searching here.
        break;
      }
      if (pass && fail) {
        if (fail.offeredEventsPerSec / pass.offeredEventsPerSec <= this.profile.precision) break;
        rate = Math.sqrt(pass.offeredEventsPerSec * fail.offeredEventsPerSec);
      } else rate = pass ? rate * 2 : rate / 2;
    }
    return { best: pass, steps };
  }
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}
const pct = (x: number) => `${Math.round(x * 100)}%`;

async function openSession(info: ContenderInfo, n: number, payload: PayloadSize, profile: Profile): Promise<{ session: Session; idle: ContenderRun["idle"]; connectMs: number }> {
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the servers under test.
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const server = startChild(`${info.name} server`, "server-process.js", 0, ["--expose-gc", ...extra]);
  const client = startChild("load generator", "client-process.js", 1);
  try {
    const { port } = await server.call<{ port: number }>("start", { transport: info.transport, contender: info.name, payload });
    const before = await server.call<{ heapUsed: number; rss: number }>("memory");
    const connected = await client.call<{ connected: number; failed: number; ms: number; errors: string[] }>("connect", { options: { kind: info.client, port, path: info.path, n } }, 300_000);
    if (connected.failed > 0) throw new Error(`${connected.failed} of ${n} subscribers failed to connect: ${connected.errors.join("; ")}`);
    for (let waited = 0; (await server.call<number>("connections")) < n; waited += 50) {
      if (waited > 10_000) throw new Error(`the server sees ${await server.call<number>("connections")} of ${n} subscribers`);
      await sleep(50);
    }
    await sleep(500);
    const after = await server.call<{ heapUsed: number; rss: number }>("memory");
    const idle = { heapPerConnection: (after.heapUsed - before.heapUsed) / n, rssPerConnection: (after.rss - before.rss) / n, heapUsed: after.heapUsed, rss: after.rss };
    return { session: new Session(info, n, server, client, profile), idle, connectMs: connected.ms };
  } catch (error) {
    await Promise.all([server.stop(), client.stop()]);
    throw error;
  }
}

/** First guess of a contender's max, deliveries/s: what it did last time, or a safe low start. */
const lastMax = new Map<string, number>();

async function runPoint(transport: Transport, n: number, payload: PayloadSize, rep: number, profile: Profile, only: string[] | undefined): Promise<ContenderRun[]> {
  const runs: ContenderRun[] = [];
  let limitMax: number | undefined;
  // The limit runs first (the others' latency step uses half its max); the others alternate their
  // order between repetitions so drifting machine load does not always favour the same one.
  const peers = contenders[transport].filter((c) => !c.limit && (!only || only.includes(c.name)));
  const list = [...contenders[transport].filter((c) => c.limit), ...(rep % 2 ? peers.reverse() : peers)];
  for (const info of list) {
    const key = `${transport}/${n}/${payload}/${info.name}`;
    log(`  ${transport} N=${n} ${payload} B rep ${rep + 1}: ${info.name}`);
    const run: ContenderRun = { transport, subscribers: n, payload, rep, contender: info.name, limit: info.limit === true, describe: info.describe };
    let session: Session | undefined;
    try {
      const opened = await openSession(info, n, payload, profile);
      session = opened.session;
      run.idle = opened.idle;
      run.connectMs = opened.connectMs;
      const start = lastMax.get(key) ?? (limitMax ? limitMax / 2 : Math.min(200_000, 20_000 * Math.max(1, n / 100)));
      if (info.limit) {
        const max = await session.findMax(start * 0.8);
        run.max = max.best;
        run.search = max.steps;
        if (max.best) {
          limitMax = max.best.deliveriesPerSec;
          lastMax.set(key, limitMax);
        }
      }
      if (limitMax) {
        // Latency, CPU and event-loop delay at the same load for every contender: half the limit's max.
        run.atHalfLimit = await session.undisturbedStep(limitMax / 2 / n, profile.windowMs * 1.5);
        log(`    ${info.name.padEnd(10)} at half the limit (${fmt(limitMax / 2)}/s): p50 ${(run.atHalfLimit.latencyUs.p50 / 1000).toFixed(2)} ms p99 ${(run.atHalfLimit.latencyUs.p99 / 1000).toFixed(2)} ms, ${run.atHalfLimit.serverCpuUsPerDelivery.toFixed(3)} µs CPU/delivery${run.atHalfLimit.sustained ? "" : " (NOT sustained)"}`);
      }
      if (!info.limit && (!run.atHalfLimit || (run.atHalfLimit.drops === 0 && run.atHalfLimit.closedByServer === 0))) {
        const max = await session.findMax(lastMax.get(key) ?? limitMax ?? start);
        run.max = max.best;
        run.search = max.steps;
        if (max.best) lastMax.set(key, max.best.deliveriesPerSec);
      }
    } catch (error) {
      run.error = error instanceof Error ? error.message : String(error);
      log(`    ${info.name}: ${run.error}`);
    } finally {
      if (session) await Promise.all([session.server.stop(), session.client.stop()]);
    }
    runs.push(run);
  }
  return runs;
}

function machine(): BenchResults["machine"] {
  const version = (name: string) => {
    try {
      return (JSON.parse(readFileSync(join(benchDir, "..", "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      return "?";
    }
  };
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: benchDir, encoding: "utf8" }).stdout.trim();
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "../packages/core/src", "."], { cwd: benchDir, encoding: "utf8" }).stdout.trim() !== "";
  return {
    cpu: cpus()[0]?.model ?? "?",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    pinned: canPin,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    commit: commit + (dirty ? " (with uncommitted changes)" : ""),
    versions: { ws: version("ws"), "socket.io": version("socket.io"), "better-sse": version("better-sse") },
  };
}

async function main(): Promise<void> {
  const { profileName, profile, out, contenderNames, skipChecks, updateDoc, checksOnly } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const results: BenchResults = { profile: profileName, startedAt: new Date(started).toISOString(), durationS: 0, machine: machine(), settings: profile, runs: [] };
  if (checksOnly && existsSync(out)) {
    // Only the in-process checks: the runs of the results file stay as they are.
    const previous = JSON.parse(readFileSync(out, "utf8")) as BenchResults;
    Object.assign(results, { ...previous, publishPath: undefined, sendPath: undefined });
  }
  log(`eventwire bench, profile ${profileName}: ${profile.transports.join("+")} × N ${profile.subscribers.join(",")} × ${profile.payloads.join(",")} B × ${profile.reps} reps (pinned: ${canPin})`);
  if (!skipChecks) {
    const checks = startChild("checks", "checks-process.js", 0);
    log("publish path check (10,000 connections over 1,000 sessions)");
    results.publishPath = await checks.call<PublishPathResult>("publishPath", {}, 300_000);
    log(`  big hub / small hub per 10-receiver event: ${results.publishPath.bigHubOverSmallHub.toFixed(2)}× (${results.publishPath.proportional ? "proportional to receivers" : "NOT proportional"})`);
    log("send path check (user-space CPU per delivery, 1,000 in-memory sockets)");
    results.sendPath = await checks.call<SendPathCase[]>("sendPath", { options: profile.sendPath }, 1_800_000);
    for (const c of results.sendPath) log(`  ${c.contender.padEnd(20)} N=${String(c.subscribers).padEnd(6)} ${String(c.payload).padStart(4)} B ${c.nsPerDelivery.toFixed(0).padStart(6)} ns/delivery`);
    await checks.stop();
  }
  for (let rep = 0; rep < (checksOnly ? 0 : profile.reps); rep++) {
    for (const transport of profile.transports) {
      for (const n of profile.subscribers) {
        for (const payload of profile.payloads) {
          results.runs.push(...(await runPoint(transport, n, payload, rep, profile, contenderNames)));
          results.durationS = Math.round((Date.now() - started) / 1000);
          save(results, out);
        }
      }
    }
  }
  if (!checksOnly) results.durationS = Math.round((Date.now() - started) / 1000);
  save(results, out, updateDoc || profileName === "full");
  log(`done in ${results.durationS} s: ${out} and ${out.replace(/\.json$/, ".md")}`);
}

function save(results: BenchResults, out: string, updateDoc = false): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 1)}\n`);
  const md = renderMarkdown(results);
  writeFileSync(out.replace(/\.json$/, ".md"), md);
  if (updateDoc && existsSync(join(benchDir, "BENCHMARKS.md"))) {
    // BENCHMARKS.md keeps its prose; the generated tables go between the markers.
    const doc = join(benchDir, "BENCHMARKS.md");
    const text = readFileSync(doc, "utf8");
    const start = "<!-- results:start -->";
    const end = "<!-- results:end -->";
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from >= 0 && to > from) writeFileSync(doc, `${text.slice(0, from + start.length)}\n${md}${text.slice(to)}`);
  }
}

await main();
process.exit(0);

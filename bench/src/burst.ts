/**
 * Bursts: what coalesced writes buy (issue 15). Every contender serves N subscribers (1,000) while
 * the server publishes bursts of B events in one turn of the event loop (B = 1, 2, 4, 8, 16), at the
 * same offered load for everyone (deliveries/s, so B × turns/s is constant). Server and load
 * generator are separate processes pinned to cores 0 and 1, as in run.ts. Per step: server CPU per
 * delivery, deliveries per server CPU-second, p50/p99 latency; then, in a separate short step with
 * `strace -c -f -e trace=write,writev` attached to the server (it slows the server, so only the
 * counts are kept), write system calls per delivery.
 *
 *   node dist/burst.js [--bursts 1,2,4,8,16] [--n 1000] [--load 40000] [--reps 3]
 *                      [--transports websocket,sse] [--contenders "ws limit,eventwire"]
 *                      [--window-ms 3000] [--no-strace] [--out results/burst.json]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { burstContenders, type ContenderInfo, type Transport } from "./contenders/index.js";
import { Remote } from "./ipc.js";
import type { StepSummary } from "./load-client.js";
import type { ServerStepReport } from "./publisher.js";

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, "..");
const log = (message: string) => process.stderr.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Settings {
  bursts: number[];
  n: number;
  /** Offered deliveries per second, the same for every contender and burst size. */
  load: number;
  reps: number;
  transports: Transport[];
  contenders?: string[];
  warmupMs: number;
  windowMs: number;
  strace: boolean;
  out: string;
}

export interface BurstStep {
  transport: Transport;
  contender: string;
  limit: boolean;
  rep: number;
  burst: number;
  offeredDeliveriesPerSec: number;
  delivered: number;
  expected: number;
  sustained: boolean;
  serverCpuUsPerDelivery: number;
  deliveriesPerCpuSecond: number;
  latencyMs: { p50: number; p99: number };
  serverRunQueueWait: number;
  /** The server's heap growth per connection with every subscriber connected and idle, after GC. */
  idleHeapPerConnection: number;
  /** write + writev system calls of the server per delivery (strace step), if measured. */
  writesPerDelivery?: number;
  drops: number;
  dupes: number;
}

function parse(argv: string[]): Settings {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!;
    if (key.startsWith("--")) args.set(key.slice(2), argv[i + 1]?.startsWith("--") === false ? argv[++i]! : "true");
  }
  const list = (name: string) => args.get(name)?.split(",").map((s) => s.trim());
  const hasStrace = spawnSync("strace", ["-V"]).status === 0;
  return {
    bursts: list("bursts")?.map(Number) ?? [1, 2, 4, 8, 16],
    n: Number(args.get("n") ?? 1_000),
    load: Number(args.get("load") ?? 40_000),
    reps: Number(args.get("reps") ?? 3),
    transports: (list("transports") as Transport[] | undefined) ?? ["websocket", "sse"],
    contenders: list("contenders"),
    warmupMs: Number(args.get("warmup-ms") ?? 500),
    windowMs: Number(args.get("window-ms") ?? 3_000),
    strace: hasStrace && args.get("no-strace") !== "true",
    out: args.get("out") ?? join(benchDir, "results", "burst.json"),
  };
}

const canPin = cpus().length >= 2 && spawnSync("taskset", ["-c", "0", "true"]).status === 0;

function startChild(name: string, script: string, core: number, nodeArgs: string[] = []): Remote {
  const command = canPin ? "taskset" : process.execPath;
  const args = [...(canPin ? ["-c", String(core), process.execPath] : []), ...nodeArgs, join(here, script)];
  return new Remote(name, spawn(command, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
}

/** Counts the write and writev system calls of a process (every thread) until `stop` is called. */
function traceWrites(pid: number): { stop(): Promise<number> } {
  const file = join(benchDir, "results", `.strace-${pid}.txt`);
  const tracer = spawn("strace", ["-c", "-f", "-e", "trace=write,writev", "-o", file, "-p", String(pid)], { stdio: "ignore" });
  return {
    async stop() {
      const exited = new Promise((resolve) => tracer.once("exit", resolve));
      tracer.kill("SIGINT");
      await exited;
      const text = readFileSync(file, "utf8");
      rmSync(file, { force: true });
      let calls = 0;
      for (const line of text.split("\n")) {
        const cols = line.trim().split(/\s+/);
        if (cols.at(-1) === "write" || cols.at(-1) === "writev") calls += Number(cols[3]);
      }
      return calls;
    },
  };
}

/** One contender's server and load generator, N subscribers connected. */
async function open(info: ContenderInfo, settings: Settings): Promise<{ server: Remote; client: Remote; pid: number; idleHeapPerConnection: number }> {
  const server = startChild(`${info.name} server`, "server-process.js", 0, ["--expose-gc"]);
  const client = startChild("load generator", "client-process.js", 1);
  const { port, pid } = await server.call<{ port: number; pid: number }>("start", { transport: info.transport, contender: info.name, payload: 100 });
  const before = await server.call<{ heapUsed: number }>("memory");
  const connected = await client.call<{ failed: number; errors: string[] }>("connect", { options: { kind: info.client, port, path: info.path, n: settings.n } }, 300_000);
  if (connected.failed > 0) throw new Error(`${connected.failed} subscribers failed to connect: ${connected.errors.join("; ")}`);
  for (let waited = 0; (await server.call<number>("connections")) < settings.n; waited += 50) {
    if (waited > 10_000) throw new Error("the server does not see every subscriber");
    await sleep(50);
  }
  await sleep(300);
  const after = await server.call<{ heapUsed: number }>("memory");
  return { server, client, pid, idleHeapPerConnection: (after.heapUsed - before.heapUsed) / settings.n };
}

async function step(server: Remote, client: Remote, n: number, rate: number, burst: number, warmupMs: number, windowMs: number): Promise<{ report: ServerStepReport; summary: StepSummary }> {
  const fromSeq = await server.call<number>("nextSeq");
  const total = (rate * (warmupMs + windowMs + 500)) / 1000;
  await client.call("begin", { step: { fromSeq, capacity: Math.ceil(total * 1.1) + 64, latencyFromSeq: fromSeq + Math.floor((rate * warmupMs) / 1000) } });
  const report = await server.call<ServerStepReport>("step", { step: { rate, warmupMs, windowMs, burst } });
  const expected = (report.w1 - report.w0) * n;
  let summary = await client.call<StepSummary>("summary", { w0: report.w0, w1: report.w1 });
  for (let waited = 0; summary.delivered < expected && waited < 1_500; waited += 100) {
    await sleep(100);
    summary = await client.call<StepSummary>("summary", { w0: report.w0, w1: report.w1 });
  }
  return { report, summary };
}

async function runContender(info: ContenderInfo, rep: number, settings: Settings): Promise<BurstStep[]> {
  const steps: BurstStep[] = [];
  const { server, client, pid, idleHeapPerConnection } = await open(info, settings);
  try {
    for (const burst of settings.bursts) {
      const rate = settings.load / settings.n; // events per second
      const { report, summary } = await step(server, client, settings.n, rate, burst, settings.warmupMs, settings.windowMs);
      const expected = (report.w1 - report.w0) * settings.n;
      const result: BurstStep = {
        transport: info.transport,
        contender: info.name,
        limit: info.limit === true,
        rep,
        burst,
        offeredDeliveriesPerSec: settings.load,
        delivered: summary.delivered,
        expected,
        // A window the server was starved through (no event published in it) counts as not sustained.
        sustained: expected > 0 && summary.delivered >= expected * 0.999 && report.w1 - report.w0 >= report.scheduled * 0.97 && report.drops === 0,
        serverCpuUsPerDelivery: summary.delivered > 0 ? report.cpuUs / summary.delivered : Number.NaN,
        deliveriesPerCpuSecond: summary.delivered / (report.cpuUs / 1e6),
        latencyMs: { p50: summary.latencyUs.p50 / 1000, p99: summary.latencyUs.p99 / 1000 },
        serverRunQueueWait: report.runQueueWait,
        idleHeapPerConnection,
        drops: report.drops,
        dupes: summary.dupes,
      };
      if (settings.strace) {
        const tracer = traceWrites(pid);
        await sleep(300); // attached
        const traced = await step(server, client, settings.n, rate, burst, 0, 1_000);
        const writes = await tracer.stop();
        result.writesPerDelivery = traced.summary.delivered > 0 ? writes / traced.summary.delivered : Number.NaN;
      }
      steps.push(result);
      log(`  ${info.transport} ${info.name.padEnd(18)} burst ${String(burst).padStart(2)}: ${result.serverCpuUsPerDelivery.toFixed(2)} µs CPU/delivery, ${Math.round(result.deliveriesPerCpuSecond / 1000)}k/CPU-s, p50 ${result.latencyMs.p50.toFixed(2)} ms p99 ${result.latencyMs.p99.toFixed(2)} ms, writes/delivery ${result.writesPerDelivery?.toFixed(3) ?? "-"}${result.sustained ? "" : " NOT sustained"} (waited ${Math.round(result.serverRunQueueWait * 100)}%)`);
    }
  } finally {
    await Promise.all([server.stop(), client.stop()]);
  }
  return steps;
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The tables: medians over repetitions; ratios to the limit taken within each repetition first. */
export function renderBursts(steps: BurstStep[], reference: Record<Transport, string>): string {
  const lines: string[] = [];
  for (const transport of ["websocket", "sse"] as const) {
    const mine = steps.filter((s) => s.transport === transport);
    if (mine.length === 0) continue;
    const ref = reference[transport];
    lines.push(`### ${transport === "websocket" ? "WebSocket" : "SSE"}`, "");
    lines.push(`\`×ref\` = contender ÷ **${ref}** at the same burst in the same repetition, median over repetitions (per CPU-s ↑, CPU/delivery and p99 ↓).`, "");
    lines.push("| burst | contender | CPU µs/delivery | deliveries per CPU-s | ×ref | p50 ms | p99 ms | p99 − ref's, ms | writes/delivery | reps | notes |");
    lines.push("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    const names = [...new Set(mine.map((s) => s.contender))];
    for (const burst of [...new Set(mine.map((s) => s.burst))].sort((a, b) => a - b)) {
      for (const name of names) {
        const runs = mine.filter((s) => s.contender === name && s.burst === burst);
        if (runs.length === 0) continue;
        const refOf = (s: BurstStep) => mine.find((r) => r.contender === ref && r.burst === burst && r.rep === s.rep);
        const ratio = median(runs.map((s) => s.deliveriesPerCpuSecond / (refOf(s)?.deliveriesPerCpuSecond ?? Number.NaN)));
        const p99Delta = median(runs.map((s) => s.latencyMs.p99 - (refOf(s)?.latencyMs.p99 ?? Number.NaN)));
        const notes = [runs.some((s) => !s.sustained) ? `not sustained in ${runs.filter((s) => !s.sustained).length}` : "", runs.some((s) => s.drops) ? "drops" : "", runs.some((s) => s.dupes) ? "dupes" : ""].filter(Boolean).join("; ");
        lines.push(`| ${burst} | ${name === ref ? `**${name}**` : name} | ${median(runs.map((s) => s.serverCpuUsPerDelivery)).toFixed(2)} | ${Math.round(median(runs.map((s) => s.deliveriesPerCpuSecond))).toLocaleString("en-US")} | ${ratio.toFixed(2)}× | ${median(runs.map((s) => s.latencyMs.p50)).toFixed(2)} | ${median(runs.map((s) => s.latencyMs.p99)).toFixed(2)} | ${name === ref ? "" : p99Delta.toFixed(2)} | ${median(runs.map((s) => s.writesPerDelivery ?? Number.NaN)).toFixed(3)} | ${runs.length} | ${notes} |`);
      }
    }
    lines.push("", `Idle heap per connection (server heap growth ÷ N, after GC, median over repetitions; \`Δref\` = contender − ${transport === "websocket" ? "ws limit" : "http limit"}, the plain library's own):`, "");
    lines.push("| contender | heap B/connection | Δref B |", "|---|---:|---:|");
    const plain = transport === "websocket" ? "ws limit" : "http limit";
    for (const name of names) {
      const reps = [...new Set(mine.filter((x) => x.contender === name).map((x) => x.rep))];
      const heapOf = (contender: string, rep: number) => mine.find((x) => x.contender === contender && x.rep === rep)?.idleHeapPerConnection ?? Number.NaN;
      lines.push(`| ${name} | ${Math.round(median(reps.map((rep) => heapOf(name, rep))))} | ${name === plain ? "" : `${Math.round(median(reps.map((rep) => heapOf(name, rep) - heapOf(plain, rep))))}`} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** The one-write-per-event reference of each transport, which the targets are measured against. */
export const burstReference: Record<Transport, string> = { websocket: "ws limit", sse: "http 1 write/event" };

async function main(): Promise<void> {
  const settings = parse(process.argv.slice(2));
  const started = Date.now();
  const steps: BurstStep[] = [];
  log(`eventwire burst bench: ${settings.transports.join("+")}, N=${settings.n}, bursts ${settings.bursts.join(",")}, ${settings.load} deliveries/s offered, ${settings.reps} reps, strace ${settings.strace} (pinned: ${canPin}, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")})`);
  for (let rep = 0; rep < settings.reps; rep++) {
    for (const transport of settings.transports) {
      const list = burstContenders[transport].filter((c) => !settings.contenders || settings.contenders.includes(c.name));
      // The others alternate their order between repetitions, so drifting load favours no one.
      const ordered = rep % 2 ? [...list].reverse() : list;
      for (const info of ordered) {
        try {
          steps.push(...(await runContender(info, rep, settings)));
        } catch (error) {
          log(`  ${info.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
        save(settings, steps, started);
      }
    }
  }
  save(settings, steps, started);
  log(`done in ${Math.round((Date.now() - started) / 1000)} s: ${settings.out}`);
}

function save(settings: Settings, steps: BurstStep[], started: number): void {
  mkdirSync(dirname(settings.out), { recursive: true });
  const meta = { startedAt: new Date(started).toISOString(), durationS: Math.round((Date.now() - started) / 1000), loadAverageNow: loadavg(), pinned: canPin, settings };
  writeFileSync(settings.out, `${JSON.stringify({ ...meta, steps }, null, 1)}\n`);
  writeFileSync(settings.out.replace(/\.json$/, ".md"), `${renderBursts(steps, burstReference)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
  process.exit(0);
}

/**
 * Turns results JSON into the markdown tables of BENCHMARKS.md: medians over repetitions, and
 * every figure as a ratio to the limit and to each peer measured in the same repetition.
 *
 *   node dist/report.js [results/latest.json]   (prints the markdown)
 */
import { readFileSync } from "node:fs";
import type { Transport } from "./contenders/contender.js";
import type { BenchResults, ContenderRun, StepResult } from "./results.js";
import type { SendPathCase } from "./send-path.js";

export interface ContenderSummary {
  name: string;
  limit: boolean;
  reps: number;
  /** Medians over repetitions. */
  maxPerSec?: number;
  /** At the highest sustained step: deliveries per second of server CPU (robust to other load). */
  maxPerCpuSecond?: number;
  cpuUsPerDelivery?: number;
  latencyUs?: { p50: number; p99: number; p999: number };
  eventLoopDelayP99Ms?: number;
  heapPerConnection?: number;
  rssPerConnection?: number;
  clientCpuAtMax?: number;
  clientBoundAtMax: boolean;
  /** Subscribers closed by the slow-consumer policy in any step, and duplicates/reorders seen. */
  drops: number;
  dupes: number;
  sustainedAtHalf: boolean;
  /** Medians over repetitions of this contender's figure over the limit's, same repetition. */
  vsLimit: { max?: number; maxPerCpu?: number; cpu?: number; p99?: number; heap?: number };
  errors: string[];
}

export interface PointSummary {
  transport: Transport;
  subscribers: number;
  payload: number;
  halfLimitPerSec?: number;
  contenders: ContenderSummary[];
  /** eventwire's figure over each peer's, median over repetitions of same-repetition ratios. */
  eventwireVs: Record<string, { max?: number; maxPerCpu?: number; cpu?: number; p99?: number; heap?: number }>;
}

function median(values: (number | undefined)[]): number | undefined {
  const xs = values.filter((x): x is number => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1]! + xs[mid]!) / 2;
}

const metrics = {
  max: (r: ContenderRun) => r.max?.deliveriesPerSec,
  maxPerCpu: (r: ContenderRun) => r.max?.deliveriesPerCpuSecond,
  // At half the limit's rate even where a contender could not keep up (then its latency shows it).
  cpu: (r: ContenderRun) => r.atHalfLimit?.serverCpuUsPerDelivery,
  p99: (r: ContenderRun) => r.atHalfLimit?.latencyUs.p99,
  heap: (r: ContenderRun) => (r.subscribers >= 100 ? r.idle?.heapPerConnection : undefined),
};
type Metric = keyof typeof metrics;

function ratios(mine: ContenderRun[], theirs: ContenderRun[]): Record<Metric, number | undefined> {
  const out = {} as Record<Metric, number | undefined>;
  for (const metric of Object.keys(metrics) as Metric[]) {
    const perRep = mine.map((run) => {
      const other = theirs.find((o) => o.rep === run.rep);
      const a = metrics[metric](run);
      const b = other ? metrics[metric](other) : undefined;
      return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
    });
    out[metric] = median(perRep);
  }
  return out;
}

export function summarize(results: BenchResults): PointSummary[] {
  const points = new Map<string, ContenderRun[]>();
  for (const run of results.runs) {
    const key = `${run.transport}|${run.subscribers}|${run.payload}`;
    points.set(key, [...(points.get(key) ?? []), run]);
  }
  const out: PointSummary[] = [];
  for (const runs of points.values()) {
    const { transport, subscribers, payload } = runs[0]!;
    const names = [...new Set(runs.map((r) => r.contender))];
    const byName = (name: string) => runs.filter((r) => r.contender === name);
    const limitRuns = runs.filter((r) => r.limit);
    const contenders = names.map((name): ContenderSummary => {
      const mine = byName(name);
      const vs = ratios(mine, limitRuns);
      return {
        name,
        limit: mine[0]!.limit,
        reps: mine.length,
        maxPerSec: median(mine.map(metrics.max)),
        maxPerCpuSecond: median(mine.map(metrics.maxPerCpu)),
        cpuUsPerDelivery: median(mine.map(metrics.cpu)),
        latencyUs: mine.some((r) => r.atHalfLimit)
          ? {
              p50: median(mine.map((r) => r.atHalfLimit?.latencyUs.p50))!,
              p99: median(mine.map(metrics.p99))!,
              p999: median(mine.map((r) => r.atHalfLimit?.latencyUs.p999))!,
            }
          : undefined,
        eventLoopDelayP99Ms: median(mine.map((r) => r.atHalfLimit?.eventLoopDelayMs.p99)),
        heapPerConnection: median(mine.map(metrics.heap)),
        rssPerConnection: median(mine.map((r) => (r.subscribers >= 100 ? r.idle?.rssPerConnection : undefined))),
        clientCpuAtMax: median(mine.map((r) => r.max?.clientCpu)),
        clientBoundAtMax: mine.some((r) => r.max?.clientBound === true || (r.search ?? []).some((s: StepResult) => !s.sustained && s.clientBound)),
        sustainedAtHalf: mine.every((r) => r.atHalfLimit?.sustained === true),
        drops: mine.reduce((sum, r) => sum + [...(r.search ?? []), ...(r.atHalfLimit ? [r.atHalfLimit] : [])].reduce((s, step) => s + step.drops, 0), 0),
        dupes: mine.reduce((sum, r) => sum + [...(r.search ?? []), ...(r.atHalfLimit ? [r.atHalfLimit] : [])].reduce((s, step) => s + step.dupes, 0), 0),
        vsLimit: vs,
        errors: mine.flatMap((r) => (r.error ? [r.error] : [])),
      };
    });
    const eventwireVs: PointSummary["eventwireVs"] = {};
    const ours = byName("eventwire");
    if (ours.length) for (const name of names) if (name !== "eventwire") eventwireVs[name] = ratios(ours, byName(name));
    const half = median(limitRuns.map((r) => (r.max ? r.max.deliveriesPerSec / 2 : undefined)));
    out.push({ transport, subscribers, payload, halfLimitPerSec: half, contenders, eventwireVs });
  }
  return out.sort((a, b) => a.transport.localeCompare(b.transport) * -1 || a.subscribers - b.subscribers || a.payload - b.payload);
}

export interface TargetCheck {
  target: string;
  point: string;
  measured: number | undefined;
  goal: string;
  met: boolean | undefined;
}

/** The targets of issue 7, checked on every point they apply to. */
export function checkTargets(points: PointSummary[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const add = (target: string, p: PointSummary, measured: number | undefined, goal: string, ok: (x: number) => boolean) =>
    checks.push({ target, point: `${p.transport === "websocket" ? "WS" : "SSE"} N=${p.subscribers.toLocaleString("en")} ${p.payload} B`, measured, goal, met: measured === undefined ? undefined : ok(measured) });
  for (const p of points) {
    const ew = p.contenders.find((c) => c.name === "eventwire");
    if (!ew) continue;
    const peers = p.eventwireVs;
    if (p.subscribers >= 1_000) {
      add("deliveries/s vs the limit", p, ew.vsLimit.max, "≥ 0.90×", (x) => x >= 0.9);
      add("deliveries per server CPU-second vs the limit", p, ew.vsLimit.maxPerCpu, "≥ 0.90×", (x) => x >= 0.9);
      if (p.transport === "websocket") {
        add("CPU per delivery vs the limit (limit ÷ eventwire)", p, ew.vsLimit.cpu && 1 / ew.vsLimit.cpu, "≥ 0.90×", (x) => x >= 0.9);
        add("deliveries/s vs ws naive", p, peers["ws naive"]?.max, "≥ 1.0×", (x) => x >= 1.0);
        add("deliveries per server CPU-second vs ws naive", p, peers["ws naive"]?.maxPerCpu, "≥ 1.0×", (x) => x >= 1.0);
        add("deliveries/s vs socket.io", p, peers["socket.io"]?.max, "≥ 1.5×", (x) => x >= 1.5);
        add("deliveries per server CPU-second vs socket.io", p, peers["socket.io"]?.maxPerCpu, "≥ 1.5×", (x) => x >= 1.5);
      } else {
        add("deliveries/s vs better-sse", p, peers["better-sse"]?.max, "≥ 2.0×", (x) => x >= 2.0);
        add("deliveries per server CPU-second vs better-sse", p, peers["better-sse"]?.maxPerCpu, "≥ 2.0×", (x) => x >= 2.0);
      }
    }
    add("p99 latency at half the limit's rate vs the limit's", p, ew.vsLimit.p99, "≤ 1.25×", (x) => x <= 1.25);
    if (p.transport === "websocket" && p.subscribers >= 1_000) {
      const ws = p.contenders.find((c) => c.limit);
      const extra = ew.heapPerConnection !== undefined && ws?.heapPerConnection !== undefined ? ew.heapPerConnection - ws.heapPerConnection : undefined;
      add("idle heap per WebSocket connection over ws's own, bytes", p, extra, "≤ +2,048 B", (x) => x <= 2048);
    }
  }
  return checks;
}

const num = (x: number | undefined, digits = 0) => (x === undefined ? "–" : x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const rate = (x: number | undefined) => (x === undefined ? "–" : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0));
const ratio = (x: number | undefined) => (x === undefined ? "–" : `${x.toFixed(2)}×`);
const ms = (us: number | undefined) => (us === undefined ? "–" : (us / 1000).toFixed(us < 10_000 ? 2 : 1));
const kb = (bytes: number | undefined) => (bytes === undefined ? "–" : (bytes / 1024).toFixed(1));

export function renderTables(points: PointSummary[]): string {
  let md = "";
  for (const transport of ["websocket", "sse"] as const) {
    const mine = points.filter((p) => p.transport === transport);
    if (mine.length === 0) continue;
    md += `### ${transport === "websocket" ? "WebSocket" : "SSE"}\n\n`;
    md += "Max: highest sustained deliveries/s (↑), and the same step's deliveries per second of server CPU (↑; what the server does with a core to itself, robust to the other load on this shared machine). At ½ limit: every contender offered half the limit's max: server CPU µs per delivery (↓), end-to-end latency (↓), event-loop delay p99. Idle: server heap and RSS growth per connection (↓). `×lim` = contender ÷ limit, same repetition, median over repetitions.\n\n";
    md += "| N | payload | contender | max deliveries/s | ×lim | per CPU-s | ×lim | CPU µs/deliv ½ | ×lim | p50 ms | p99 ms | ×lim | p99.9 ms | loop p99 ms | heap KB/conn | ×lim | RSS KB/conn | client CPU at max | notes |\n";
    md += "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
    for (const p of mine) {
      for (const c of p.contenders) {
        const notes = [
          c.clientBoundAtMax ? "client-bound at max" : "",
          c.sustainedAtHalf ? "" : "½-limit load not sustained",
          c.drops ? `${c.drops} dropped as slow` : "",
          c.dupes ? `${c.dupes} duplicate/reordered` : "",
          c.errors.length ? `error: ${c.errors[0]}` : "",
        ].filter(Boolean).join("; ");
        md += `| ${num(p.subscribers)} | ${p.payload} B | ${c.limit ? `**${c.name}**` : c.name} | ${rate(c.maxPerSec)} | ${ratio(c.vsLimit.max)} | ${rate(c.maxPerCpuSecond)} | ${ratio(c.vsLimit.maxPerCpu)} | ${num(c.cpuUsPerDelivery, 2)} | ${ratio(c.vsLimit.cpu)} | ${ms(c.latencyUs?.p50)} | ${ms(c.latencyUs?.p99)} | ${ratio(c.vsLimit.p99)} | ${ms(c.latencyUs?.p999)} | ${num(c.eventLoopDelayP99Ms, 1)} | ${kb(c.heapPerConnection)} | ${ratio(c.vsLimit.heap)} | ${kb(c.rssPerConnection)} | ${c.clientCpuAtMax === undefined ? "–" : `${Math.round(c.clientCpuAtMax * 100)}%`} | ${notes} |\n`;
      }
    }
    md += "\n";
    md += `eventwire ÷ each peer, same repetition, median (max ↑: above 1 eventwire is faster; CPU, p99, heap ↓: below 1 eventwire is cheaper):\n\n`;
    md += "| N | payload | peer | max | per CPU-s | CPU/delivery | p99 | heap/conn |\n|---:|---:|---|---:|---:|---:|---:|---:|\n";
    for (const p of mine) {
      for (const [peer, r] of Object.entries(p.eventwireVs)) {
        md += `| ${num(p.subscribers)} | ${p.payload} B | ${peer} | ${ratio(r.max)} | ${ratio(r.maxPerCpu)} | ${ratio(r.cpu)} | ${ratio(r.p99)} | ${ratio(r.heap)} |\n`;
      }
    }
    md += "\n";
  }
  return md;
}

export function renderTargets(checks: TargetCheck[]): string {
  let md = "| target | point | measured | goal | met |\n|---|---|---:|---|---|\n";
  for (const c of checks) {
    const measured = c.target.includes("bytes") ? (c.measured === undefined ? "–" : `${c.measured >= 0 ? "+" : ""}${Math.round(c.measured).toLocaleString("en")} B`) : ratio(c.measured);
    md += `| ${c.target} | ${c.point} | ${measured} | ${c.goal} | ${c.met === undefined ? "not measured" : c.met ? "yes" : "**no**"} |\n`;
  }
  return md;
}

const sendPathColumns = {
  websocket: ["ws limit", "eventwire ws", "ws naive", "socket.io"],
  sse: ["http limit", "eventwire sse", "better-sse"],
} as const;

/** The send path as one row per (transport, N, payload): ns per delivery, × the limit, and eventwire ÷ each peer. */
export function renderSendPath(cases: SendPathCase[]): string {
  let md = "### Send path: user-space CPU per delivery (in-process, sockets in memory, fastest of several rounds)\n\n";
  md += "Each contender's server-side code with its subscribers' sockets replaced by in-memory streams that take every write at once, one event per turn of the event loop: the part of a delivery's CPU that a library controls. The system call that every contender pays once per delivery is left out (on this machine it is most of the end-to-end figure). ns per delivery (↓), `×lim` = ÷ the transport's limit, `ew÷` = eventwire ÷ that peer (below 1: eventwire is cheaper).\n\n";
  for (const transport of ["websocket", "sse"] as const) {
    const names = sendPathColumns[transport];
    const extra = [...new Set(cases.map((c) => c.contender))].filter((c) => c.startsWith("eventwire@base") && c.endsWith(transport === "sse" ? "sse" : "ws"));
    const columns = [...names, ...extra];
    md += `| ${transport === "websocket" ? "WebSocket" : "SSE"} N | payload | ${columns.map((c) => `${c} ns | ×lim`).join(" | ")} | ${columns.slice(2).map((c) => `ew÷ ${c}`).join(" | ")} |\n`;
    md += `|---:|---:|${columns.map(() => "---:|---:").join("|")}|${columns.slice(2).map(() => "---:").join("|")}|\n`;
    const keys = [...new Set(cases.map((c) => `${c.subscribers}|${c.payload}`))];
    for (const key of keys) {
      const [n, payload] = key.split("|").map(Number);
      const at = (name: string) => cases.find((c) => c.contender === name && c.subscribers === n && c.payload === payload)?.nsPerDelivery;
      const limit = at(columns[0]!);
      const ours = at(columns[1]!);
      md += `| ${num(n)} | ${payload} B | ${columns.map((c) => `${num(at(c))} | ${ratio(limit && at(c) ? at(c)! / limit : undefined)}`).join(" | ")} | ${columns.slice(2).map((c) => ratio(ours && at(c) ? ours / at(c)! : undefined)).join(" | ")} |\n`;
    }
    md += "\n";
  }
  return md;
}

export function renderMarkdown(results: BenchResults): string {
  const points = summarize(results);
  const m = results.machine;
  let md = `## Latest results (profile \`${results.profile}\`, ${results.startedAt.slice(0, 16).replace("T", " ")} UTC, ${Math.round(results.durationS / 60)} min)\n\n`;
  md += `Machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; server and load generator ${m.pinned ? "pinned to cores 0 and 1" : "not pinned"}; load average at start ${m.loadAverageAtStart.join(" / ")} (shared machine). Commit ${m.commit}. ws ${m.versions.ws}, socket.io ${m.versions["socket.io"]}, better-sse ${m.versions["better-sse"]}.\n\n`;
  const waits = results.runs.flatMap((r) => [...(r.search ?? []), ...(r.atHalfLimit ? [r.atHalfLimit] : [])].map((step) => step.serverRunQueueWait)).filter(Number.isFinite);
  if (waits.length) {
    const sorted = waits.sort((a, b) => a - b);
    md += `Other load on the machine: in the median step the server waited for its core ${Math.round(sorted[Math.floor(sorted.length / 2)]! * 100)}% of the time (run-queue wait, /proc; 90th percentile ${Math.round(sorted[Math.floor(sorted.length * 0.9)]! * 100)}%). Wall-clock rates and latencies move with that; CPU per delivery, deliveries per CPU-second and the send path much less.\n\n`;
  }
  const pp = results.publishPath;
  if (pp) {
    md += "### Publish path (in-process, no network)\n\n| hub | receivers per event | µs per publish | sends per event |\n|---|---:|---:|---:|\n";
    for (const c of pp.cases) md += `| ${c.name} | ${num(c.receivers)} | ${num(c.usPerEvent, 2)} | ${num(c.sendsPerEvent, 1)} |\n`;
    md += `\nA 10-receiver event costs ${ratio(pp.bigHubOverSmallHub)} as much in the 10,000-connection hub as in a 10-connection hub (a scan of 10,000 connections, at even 20 ns each, would add 200 µs per event: 10× or more): ${pp.proportional ? "**proportional to receivers**" : "**NOT proportional to receivers**"}.\n\n`;
  }
  if (results.sendPath?.length) md += renderSendPath(results.sendPath);
  md += renderTables(points);
  md += "### Targets (issue 7)\n\n" + renderTargets(checkTargets(points)) + "\n";
  return md;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? new URL("../results/latest.json", import.meta.url).pathname;
  process.stdout.write(renderMarkdown(JSON.parse(readFileSync(file, "utf8")) as BenchResults));
}

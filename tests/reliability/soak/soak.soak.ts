import { fork, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createHub } from "@eventwire/core";
import { expect, it } from "vitest";

/**
 * The soak (`npm run soak`; not in CI): 5,000 concurrent connections, half SSE and half WebSocket,
 * each on one of 100 sessions (50 unscoped), with churn (2% of them dropped and resumed every
 * second) and a steady publish rate, for SOAK_SECONDS (default 180). The clients run in a process
 * of their own. It reports RSS and heap over time, delivered and dropped counts, reconnects, and
 * the latency from publish to receipt; and fails on any lost or repeated event.
 */
const seconds = Number(process.env.SOAK_SECONDS ?? 180);
const connections = Number(process.env.SOAK_CONNECTIONS ?? 5_000);
const eventsPerSecond = Number(process.env.SOAK_RATE ?? 200);
const sessions = 100;
const churnPerSecond = 0.02;
const sampleEveryMs = 10_000;

interface ClientReport {
  kind: "sample" | "final" | "rampedUp";
  open: number;
  totals: Record<string, number>;
  interval: Record<"sse" | "websocket", { count: number; p50: number; p99: number; p999: number; max: number }>;
  overall: Record<"sse" | "websocket", { count: number; p50: number; p99: number; p999: number; max: number }>;
  rss: number;
}

it(`soak: ${connections} connections, ${eventsPerSecond} events/s, 2%/s churn, ${seconds} s`, { timeout: (seconds + 180) * 1000 }, async () => {
  const hub = createHub({ authorize: true, logger: { warn() {}, error: (message, error) => console.error(message, error) }, limits: { maxConnections: connections * 2 } });
  const server = http.createServer((request, response) => void hub.sse(request, response));
  server.on("upgrade", (request, socket, head) => hub.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4_096 }, resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  const child: ChildProcess = fork(fileURLToPath(new URL("./load-generator.mjs", import.meta.url)), [JSON.stringify({ url, connections, sessions, unscoped: 50, churnPerSecond, reportEveryMs: sampleEveryMs })], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const reports: ClientReport[] = [];
  const next = (kind: ClientReport["kind"]) => new Promise<ClientReport>((resolve) => {
    const listen = (message: ClientReport) => {
      if (message.kind !== kind) return;
      child.off("message", listen);
      resolve(message);
    };
    child.on("message", listen);
  });
  child.on("message", (message: ClientReport) => void (message.kind === "sample" && reports.push(message)));

  // Publisher: round-robin over the sessions, a per-session sequence and a global one, and the
  // publish time for latency. One tick every 10 ms.
  const seq: Record<string, number> = {};
  let g = 0;
  let publishing = false;
  const publisher = setInterval(() => {
    if (!publishing) return;
    for (let i = 0; i < eventsPerSecond / 100; i++) {
      const session = `S${g % sessions}`;
      seq[session] = (seq[session] ?? 0) + 1;
      g++;
      void hub.publish({ event: "bot.word", sessionId: session, seq: seq[session], g, t: performance.timeOrigin + performance.now(), word: "soak" });
    }
  }, 10);

  const rows: string[] = [];
  const started = Date.now();
  const sample = (client: ClientReport | undefined) => {
    const { rss, heapUsed } = process.memoryUsage();
    const stats = hub.stats();
    const t = Math.round((Date.now() - started) / 1000);
    const lat = client ? `${client.interval.sse.p50} / ${client.interval.sse.p99} / ${client.interval.sse.max} | ${client.interval.websocket.p50} / ${client.interval.websocket.p99} / ${client.interval.websocket.max}` : "-";
    rows.push(`| ${t} | ${stats.connections.sse + stats.connections.websocket} | ${(rss / 2 ** 20).toFixed(0)} | ${(heapUsed / 2 ** 20).toFixed(0)} | ${stats.events.published} | ${stats.events.delivered} | ${stats.events.dropped} | ${client?.totals.churned ?? 0} | ${lat} | ${(loop.percentile(99) / 1e6).toFixed(1)} |`);
    loop.reset();
  };

  await next("rampedUp");
  const rampedUpAfter = Math.round((Date.now() - started) / 1000);
  publishing = true;
  child.send({ kind: "churn" });
  const serverSampler = setInterval(() => sample(reports.at(-1)), sampleEveryMs);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  clearInterval(serverSampler);

  // Calm down: no more churn, no more events; every client must end with the last of its scope.
  child.send({ kind: "calm" });
  publishing = false;
  clearInterval(publisher);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const finalReport = next("final");
  child.send({ kind: "lastSeq", seq, g });
  const final = await Promise.race([finalReport, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 60_000))]);
  sample(final);
  child.send({ kind: "stop" });
  await new Promise((resolve) => child.once("exit", resolve));
  await hub.close();
  await new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));

  const report = [
    `# Soak: ${connections} connections, ${eventsPerSecond} events/s over ${sessions} sessions, ${churnPerSecond * 100}%/s churn, ${seconds} s`,
    "",
    `Node ${process.version}, ${process.platform}/${process.arch}; ramp-up took ${rampedUpAfter} s. Server and clients in two processes on one machine.`,
    "",
    "| t (s) | connections | server RSS (MiB) | heap (MiB) | published | delivered | dropped | churned (total) | latency SSE p50 / p99 / max (ms) | WS p50 / p99 / max (ms) | loop delay p99 (ms) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    final
      ? `Clients: ${final.totals.received} events received (${final.totals.replayed} of them replayed on a resume), ${final.totals.lost} lost, ${final.totals.duplicated} duplicated, ${final.totals.gaps} gaps; ${final.totals.churned} connections churned, ${final.totals.unplannedDrops} unplanned drops, ${final.totals.refused} refusals; ${final.totals.opened} connections opened in all. Live latency (publish to receipt, replays excluded) over the run: SSE p50 ${final.overall.sse.p50} ms, p99 ${final.overall.sse.p99} ms, p99.9 ${final.overall.sse.p999} ms, max ${final.overall.sse.max} ms; WebSocket p50 ${final.overall.websocket.p50} ms, p99 ${final.overall.websocket.p99} ms, p99.9 ${final.overall.websocket.p999} ms, max ${final.overall.websocket.max} ms. Client process RSS ${(final.rss / 2 ** 20).toFixed(0)} MiB.`
      : "Clients did not all reach the last event within 60 s of the calm-down.",
  ].join("\n");
  console.info(report);
  writeFileSync(fileURLToPath(new URL("./last-report.md", import.meta.url)), `${report}\n`);
  expect(final).toBeDefined();
  expect({ lost: final!.totals.lost, duplicated: final!.totals.duplicated, gaps: final!.totals.gaps }).toEqual({ lost: 0, duplicated: 0, gaps: 0 });
});

/**
 * Idle heap per WebSocket connection: each contender's server in its own process (server-process.ts,
 * with `--expose-gc`), N clients connected from this one and left idle, heap used after GCs before
 * and after, divided by N. Contenders alternate within each repetition; the median is reported.
 *
 *   node dist/idle-heap.js [--n 2000] [--reps 5]
 *
 * With BENCH_BASELINE_CORE=/path/to/another/core/dist/index.js, "eventwire@base" (that build) is
 * measured beside this one.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import WebSocket from "ws";
import { Remote } from "./ipc.js";

const args = new Map(process.argv.slice(2).map((arg, i, all) => [arg.replace(/^--/, ""), all[i + 1] ?? ""]));
const n = Number(args.get("n") ?? 2_000);
const reps = Number(args.get("reps") ?? 5);
const names = ["ws limit", "eventwire", ...(process.env.BENCH_BASELINE_CORE ? ["eventwire@base"] : [])];

async function bytesPerConnection(name: string): Promise<number> {
  const child = spawn(process.execPath, ["--expose-gc", join(import.meta.dirname, "server-process.js")], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const server = new Remote(name, child);
  const sockets: WebSocket[] = [];
  try {
    const { port } = await server.call<{ port: number }>("start", { transport: "websocket", contender: name, payload: 100 });
    const before = await server.call<{ heapUsed: number }>("memory");
    for (let i = 0; i < n; i++) {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/events`, { perMessageDeflate: false });
      sockets.push(socket);
      await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
    }
    const connected = await server.call<number>("connections");
    if (connected !== n) throw new Error(`${name}: ${connected} of ${n} connections open`);
    const after = await server.call<{ heapUsed: number }>("memory");
    return (after.heapUsed - before.heapUsed) / n;
  } finally {
    for (const socket of sockets) socket.terminate();
    await server.stop();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const samples = new Map<string, number[]>(names.map((name) => [name, []]));
for (let rep = 1; rep <= reps; rep++) {
  const line: string[] = [];
  for (const name of names) {
    const bytes = await bytesPerConnection(name);
    samples.get(name)!.push(bytes);
    line.push(`${name} ${bytes.toFixed(0)} B`);
  }
  process.stderr.write(`rep ${rep}: ${line.join(", ")}\n`);
}
const limit = samples.get("ws limit")!;
console.log(`idle heap per WebSocket, ${n} connections, median of ${reps}:`);
for (const [name, values] of samples) {
  const over = name === "ws limit" ? "" : `, over ws: +${median(values.map((value, rep) => value - limit[rep]!)).toFixed(0)} B (target: at most +1,024 B)`;
  console.log(`  ${name.padEnd(15)} ${median(values).toFixed(0)} B (${values.map((value) => value.toFixed(0)).join(", ")})${over}`);
}

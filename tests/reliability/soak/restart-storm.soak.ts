import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { until } from "@eventwire/conformance";
import { createHub } from "@eventwire/core";
import { expect, it } from "vitest";
import { describeSpread, spreadOf, type Spread } from "../src/spread.js";
import { SwitchableServer } from "../src/switchable-server.js";

/**
 * Part of `npm run soak` (not CI): the same restart storm of naive WebSocket clients (they
 * reconnect the instant they are closed, no backoff, no jitter; in a process of their own) with
 * `closeRate` at its default and at `Infinity` (every close at once, as core did before it had the
 * option), side by side.
 */
const clients = Number(process.env.STORM_CLIENTS ?? 2_000);

async function storm(closeRate: number): Promise<{ closes: Spread; arrivals: Spread }> {
  const quiet = { warn() {}, error() {} };
  const first = createHub({ authorize: true, logger: quiet, closeRate });
  const server = new SwitchableServer(first);
  await server.listen();
  const arrivals: number[] = [];
  const second = createHub({ logger: quiet, authorize: () => (arrivals.push(Date.now()), true) });
  const child = fork(fileURLToPath(new URL("./naive-clients.mjs", import.meta.url)), [JSON.stringify({ url: server.url.replace(/^http/, "ws"), clients })], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const message = (kind: string) => new Promise<void>((resolve) => child.on("message", (m: { kind: string }) => m.kind === kind && resolve()));
  const connected = message("connected");
  const reconnected = message("reconnected");
  await connected;
  await until(() => first.stats().connections.websocket === clients, `${clients} connections`, 120_000);
  server.switchTo(second);
  const closing = Date.now();
  await first.close();
  await reconnected;
  await until(() => arrivals.length === clients, `${clients} reconnections`, 120_000);
  const result = { closes: spreadOf(server.closesStarted, closing), arrivals: spreadOf(arrivals, closing) };
  child.send({ kind: "stop" });
  await new Promise((resolve) => child.once("exit", resolve));
  await second.close();
  await server.close();
  return result;
}

it(`restart storm: ${clients} naive WebSocket clients, closeRate 2,000/s and Infinity`, { timeout: 10 * 60_000 }, async () => {
  const paced = await storm(2_000);
  const atOnce = await storm(Number.POSITIVE_INFINITY);
  const report = [
    `# Restart storm: ${clients} naive WebSocket clients (Node ${process.version}, ${process.platform}/${process.arch})`,
    "",
    `closeRate 2,000/s: closes ${describeSpread(paced.closes)}`,
    `closeRate 2,000/s: reconnections ${describeSpread(paced.arrivals)}`,
    `closeRate Infinity: closes ${describeSpread(atOnce.closes)}`,
    `closeRate Infinity: reconnections ${describeSpread(atOnce.arrivals)}`,
  ].join("\n");
  console.info(report);
  writeFileSync(fileURLToPath(new URL("./last-storm-report.md", import.meta.url)), `${report}\n`);
  expect(paced.arrivals.count).toBe(clients);
  expect(atOnce.arrivals.count).toBe(clients);
});

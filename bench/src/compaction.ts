/**
 * Replay compaction, measured (issue 13): a client catching up on a 10-minute call, about 9,000
 * `bot.word` events at 15 words/s, from a real hub on a real socket, with and without
 * `compact: { "bot.word": mergeWords }` (the dashboard's merge, examples/express-dashboard). The
 * two hubs hold the same call and run side by side, interleaved run by run:
 *
 * - on the wire, over SSE and WebSocket: events and bytes a client opened with
 *   `lastEventId=earliest&session=<call>` is sent until the call's last event, and how long that
 *   takes (raw readers: an HTTP body, `ws` messages);
 * - in the browser demo (the dashboard's page, served by `dashboardAssets()` with its sign-in, in
 *   headless Chromium, signed in as the operator): time from navigation to the call's card on
 *   screen, and to its whole transcript drawn.
 *
 * Medians of `--reps` runs (default 3). Server and clients share this process; Chromium is its own.
 *
 *   node dist/compaction.js [--reps 3] [--minutes 10] [--words-per-second 15] [--words-per-turn 60]
 *                           [--no-browser] [--out results/compaction.json]
 */
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import http, { type Server } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createHub } from "@eventwire/core";
import { authorizeSignedIn, dashboardAssets, signIn } from "@eventwire/example-express-dashboard";
import { mergeWords } from "@eventwire/example-express-dashboard/merge-words";
import { eventwire } from "@eventwire/express";
import { traceEvents, type Trace, type TraceStep } from "@eventwire/test-fixtures";
import express from "express";
import { chromium, type Browser } from "playwright-core";
import { WebSocket } from "ws";

const here = dirname(fileURLToPath(import.meta.url));
const log = (message: string) => process.stderr.write(`${message}\n`);

const { values: args } = parseArgs({
  options: {
    reps: { type: "string", default: "3" },
    minutes: { type: "string", default: "10" },
    "words-per-second": { type: "string", default: "15" },
    "words-per-turn": { type: "string", default: "60" },
    "no-browser": { type: "boolean", default: false },
    out: { type: "string", default: join(here, "../results/compaction.json") },
  },
});
const reps = Number(args.reps);
const minutes = Number(args.minutes);
const wordsPerSecond = Number(args["words-per-second"]);
const wordsPerTurn = Number(args["words-per-turn"]);

const callId = "CA_LONG";
const orgId = "acme";
/** The demo's sign-in cookie of its operator (who may watch every call), for the raw readers. */
const operator = { cookie: "monitor_login=operator.bench" };
const vocabulary = "sure let me check that for you it looks like your booking is confirmed for friday at ten thirty".split(" ");

/**
 * One call of `minutes` in which the agent talks at `wordsPerSecond`: turns of a caller's line
 * followed by `wordsPerTurn` words, as FakeAgent's traces script them (test-fixtures).
 */
function longCall(): Trace {
  const steps: TraceStep[] = [{ atMs: 0, name: "call.started", payload: { callId, orgId, from: "+14155550101", to: "+14155550100", agent: "pines" } }];
  const endMs = minutes * 60_000;
  const wordMs = 1000 / wordsPerSecond;
  let atMs = 0;
  for (let turn = 1; atMs < endMs; turn++) {
    steps.push({ atMs, name: "user.message", payload: { callId, orgId, text: `Question number ${turn}?` } });
    for (let index = 0; index < wordsPerTurn && atMs < endMs; index++, atMs += wordMs) {
      steps.push({ atMs, name: "bot.word", payload: { callId, orgId, word: vocabulary[(turn + index) % vocabulary.length]!, index, turn } });
    }
  }
  steps.push({ atMs, name: "call.ended", payload: { callId, orgId, reason: "completed", durationMs: Math.round(atMs) } });
  return { name: "ten-minute-call", sessionKey: "callId", steps };
}

interface Served {
  compact: boolean;
  origin: string;
  lastId: string;
  server: Server;
}

/** A hub holding the whole call (history large enough), served as the dashboard's server serves it (with its sign-in). */
async function serve(compact: boolean, trace: Trace): Promise<Served> {
  const hub = createHub({
    sessionKey: "callId",
    scopes: { tenant: "orgId" },
    history: { maxEvents: 50_000, maxAgeMs: 3_600_000 },
    authorize: authorizeSignedIn,
    ...(compact ? { compact: { "bot.word": mergeWords } } : {}),
  });
  let lastId = "";
  for (const event of traceEvents(trace)) lastId = await hub.publish(event);
  const app = express();
  const events = eventwire(hub, { path: "/events" });
  app.use(events);
  app.use(signIn(hub));
  app.use(dashboardAssets());
  const server = events.attach(app.listen(0, "127.0.0.1"));
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return { compact, origin: `http://127.0.0.1:${port}`, lastId, server };
}

interface WireRun {
  events: number;
  bytes: number;
  ms: number;
}

const catchUpUrl = (origin: string) => `${origin}/events?session=${callId}&lastEventId=earliest`;

/** Reads the SSE body until the event with `lastId`: events (blocks with data) and body bytes. */
function sseCatchUp({ origin, lastId }: Served): Promise<WireRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.get(catchUpUrl(origin), { headers: { accept: "text/event-stream", ...operator }, agent: false }, (response) => {
      let buffer = "";
      let bytes = 0;
      let events = 0;
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!/^data:/m.test(block)) continue;
          events++;
          if (block.startsWith(`id: ${lastId}\n`) || block.includes(`"id":"${lastId}"`)) {
            resolve({ events, bytes, ms: performance.now() - started });
            request.destroy();
            return;
          }
        }
      });
      response.on("error", reject);
    });
    request.on("error", (error) => (error.message === "socket hang up" ? undefined : reject(error)));
  });
}

/** Reads WebSocket messages until the one with `lastId`: messages and payload bytes. */
function webSocketCatchUp({ origin, lastId }: Served): Promise<WireRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = new WebSocket(catchUpUrl(origin).replace(/^http/, "ws"), { perMessageDeflate: false, headers: operator });
    let bytes = 0;
    let events = 0;
    socket.on("message", (data: Buffer) => {
      bytes += data.length;
      const message = JSON.parse(data.toString("utf8")) as { id?: string };
      if (message.id === undefined) return;
      events++;
      if (message.id === lastId) {
        resolve({ events, bytes, ms: performance.now() - started });
        socket.close();
      }
    });
    socket.on("error", reject);
  });
}

interface BrowserRun {
  /** From navigation start to the call's card on screen. */
  cardMs: number;
  /** From navigation start to every word of the transcript drawn. */
  transcriptMs: number;
}

/** The dashboard opened on the call: how long until its card, then its whole transcript, are drawn. */
async function browserCatchUp(browser: Browser, { origin }: Served, transport: "websocket" | "sse", words: number): Promise<BrowserRun> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  try {
    // Signed in as the operator first (the page's own POST /login), so the page opens its stream at once.
    const signedIn = await page.request.post(`${origin}/login`, { data: { account: "operator" } });
    if (!signedIn.ok()) throw new Error(`POST /login answered ${signedIn.status()}`);
    const query = new URLSearchParams({ session: callId, ...(transport === "sse" ? { transport } : {}) });
    await page.goto(`${origin}/?${query}`, { waitUntil: "commit" });
    const at = async (predicate: string) =>
      (await page.waitForFunction(`(${predicate}) && performance.now()`, undefined, { polling: "raf", timeout: 600_000 })).jsonValue() as Promise<number>;
    const cardMs = await at(`document.querySelector('.call[data-call-id="${callId}"]') !== null`);
    const transcriptMs = await at(`document.querySelectorAll('.call[data-call-id="${callId}"] .word').length >= ${words}`);
    const anomaly = await page.$eval(`.call[data-call-id="${callId}"]`, (card) => card.classList.contains("anomaly"));
    if (anomaly) throw new Error(`the page drew a word out of place (${transport})`);
    return { cardMs, transcriptMs };
  } finally {
    await page.close();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const format = (value: number) => Math.round(value).toLocaleString("en-US");
const kib = (bytes: number) => `${(bytes / 1024).toLocaleString("en-US", { maximumFractionDigits: 0 })} KiB`;

async function main(): Promise<void> {
  const trace = longCall();
  const words = trace.steps.filter((step) => step.name === "bot.word").length;
  log(`a ${minutes}-minute call: ${trace.steps.length} events, ${words} bot.word`);
  const served = [await serve(false, trace), await serve(true, trace)];
  const browser = args["no-browser"] ? undefined : await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu"] });

  const wire: Record<string, WireRun[]> = {};
  const page: Record<string, BrowserRun[]> = {};
  const key = (transport: string, compact: boolean) => `${transport} ${compact ? "on" : "off"}`;
  try {
    for (let rep = 1; rep <= reps; rep++) {
      for (const target of served) {
        for (const [transport, run] of [["sse", sseCatchUp], ["websocket", webSocketCatchUp]] as const) {
          const result = await run(target);
          (wire[key(transport, target.compact)] ??= []).push(result);
          log(`rep ${rep} wire ${key(transport, target.compact)}: ${result.events} events, ${result.bytes} bytes, ${result.ms.toFixed(0)} ms`);
        }
        if (browser) {
          for (const transport of ["websocket", "sse"] as const) {
            const result = await browserCatchUp(browser, target, transport, words);
            (page[key(transport, target.compact)] ??= []).push(result);
            log(`rep ${rep} browser ${key(transport, target.compact)}: card ${result.cardMs.toFixed(0)} ms, transcript ${result.transcriptMs.toFixed(0)} ms`);
          }
        }
      }
    }
  } finally {
    await browser?.close();
    for (const { server } of served) server.close();
  }

  const lines = [
    `A client catching up on a ${minutes}-minute call (${format(trace.steps.length)} events, ${format(words)} \`bot.word\` at ${wordsPerSecond} words/s, ${wordsPerTurn} words a turn): median of ${reps} runs.`,
    "",
    "| transport | compaction | events sent | bytes sent | catch-up |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  for (const transport of ["sse", "websocket"]) {
    for (const compact of [false, true]) {
      const runs = wire[key(transport, compact)]!;
      lines.push(`| ${transport === "sse" ? "SSE" : "WebSocket"} | ${compact ? "on" : "off"} | ${format(median(runs.map((run) => run.events)))} | ${kib(median(runs.map((run) => run.bytes)))} | ${format(median(runs.map((run) => run.ms)))} ms |`);
    }
  }
  if (browser) {
    lines.push("", "| browser demo, transport | compaction | the call's card on screen | whole transcript drawn |", "| --- | --- | ---: | ---: |");
    for (const transport of ["websocket", "sse"]) {
      for (const compact of [false, true]) {
        const runs = page[key(transport, compact)]!;
        lines.push(`| ${transport === "sse" ? "SSE" : "WebSocket"} | ${compact ? "on" : "off"} | ${format(median(runs.map((run) => run.cardMs)))} ms | ${format(median(runs.map((run) => run.transcriptMs)))} ms |`);
      }
    }
  }
  const table = lines.join("\n");
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify({ at: new Date().toISOString(), minutes, wordsPerSecond, wordsPerTurn, events: trace.steps.length, words, reps, wire, browser: page }, null, 2)}\n`);
  process.stdout.write(`${table}\n`);
}

await main();

// The soak's clients, in a process of their own (so they do not share the server's event loop):
// opens `connections` streams, half SSE and half WebSocket, each scoped to one session (a few
// unscoped), keeps them open with churn (random drops and resumes), and checks every event:
// per-session sequence numbers must go up by one across reconnects (no loss, no duplicate).
// Reports to the parent over IPC every `reportEveryMs`. Plain JavaScript: it runs under `node`.
import http from "node:http";
import { createParser } from "eventsource-parser";
import WebSocket from "ws";

const config = JSON.parse(process.argv[2]);
const { url, connections, sessions, unscoped, churnPerSecond, reportEveryMs } = config;
const now = () => performance.timeOrigin + performance.now();

/** Latencies in 0.1 ms buckets up to 10 s (the last bucket holds the rest). */
class Histogram {
  constructor() {
    this.buckets = new Uint32Array(100_001);
    this.count = 0;
    this.max = 0;
  }
  add(ms) {
    this.buckets[Math.min(100_000, Math.max(0, Math.round(ms * 10)))]++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }
  percentile(q) {
    let seen = 0;
    const target = q * this.count;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= target && seen > 0) return i / 10;
    }
    return 0;
  }
  summary() {
    return { count: this.count, p50: this.percentile(0.5), p99: this.percentile(0.99), p999: this.percentile(0.999), max: Math.round(this.max * 10) / 10 };
  }
}

const totals = { received: 0, replayed: 0, lost: 0, duplicated: 0, gaps: 0, opened: 0, churned: 0, unplannedDrops: 0, refused: 0 };
const latency = { sse: new Histogram(), websocket: new Histogram() };
let interval = { sse: new Histogram(), websocket: new Histogram() };
const clients = [];
let stopping = false;

function onEvent(client, json) {
  const event = JSON.parse(json);
  if (typeof event.id !== "string") {
    if (event.event === "gap") totals.gaps++;
    return;
  }
  const key = client.session === undefined ? "g" : "seq";
  const seq = event[key];
  if (client.last !== undefined) {
    if (seq <= client.last) totals.duplicated++;
    else if (seq > client.last + 1) totals.lost += seq - client.last - 1;
  }
  if (client.last === undefined || seq > client.last) client.last = seq;
  client.lastEventId = event.id;
  totals.received++;
  // Events published before this connection opened are a replay: their wait includes the time the
  // client was away, so they are counted apart from the live latency.
  if (event.t < client.openedAt) {
    totals.replayed++;
    return;
  }
  const ms = now() - event.t;
  latency[client.transport].add(ms);
  interval[client.transport].add(ms);
}

function connect(client) {
  const query = new URLSearchParams();
  if (client.session !== undefined) query.set("session", client.session);
  if (client.lastEventId !== undefined) query.set("lastEventId", client.lastEventId);
  const target = `${url}?${query}`;
  client.open = false;
  client.openedAt = now();
  if (client.transport === "websocket") {
    const socket = new WebSocket(target.replace(/^http/, "ws"), { perMessageDeflate: false });
    client.close = () => socket.terminate();
    socket.on("open", () => {
      client.open = true;
      totals.opened++;
    });
    socket.on("message", (data) => onEvent(client, data.toString()));
    socket.on("error", () => {});
    socket.on("close", (code) => dropped(client, code === 1013 || code === 4401 || code === 4403));
    return;
  }
  const request = http.get(target, { agent: false, headers: { accept: "text/event-stream" } });
  client.close = () => request.destroy();
  request.on("error", () => {});
  request.on("close", () => dropped(client, false));
  request.on("response", (response) => {
    if (response.statusCode !== 200) {
      totals.refused++;
      response.resume();
      return;
    }
    client.open = true;
    totals.opened++;
    const parser = createParser({ onEvent: (message) => onEvent(client, message.data) });
    response.setEncoding("utf8");
    response.on("data", (chunk) => parser.feed(chunk));
  });
}

/** A connection ended: planned (churn) or not; either way the client resumes after a short wait. */
function dropped(client, refused) {
  if (client.closed) return;
  client.closed = true;
  if (!client.churning) totals.unplannedDrops++;
  if (refused) totals.refused++;
  client.churning = false;
  if (stopping) return;
  setTimeout(() => {
    client.closed = false;
    connect(client);
  }, 50 + Math.random() * 950);
}

function churn() {
  const count = Math.round((churnPerSecond * clients.length) / 10);
  for (let i = 0; i < count; i++) {
    const client = clients[Math.floor(Math.random() * clients.length)];
    if (!client.open || client.closed) continue;
    client.churning = true;
    totals.churned++;
    client.close();
  }
}

async function rampUp() {
  for (let i = 0; i < connections; i++) {
    const client = {
      transport: i % 2 ? "sse" : "websocket",
      session: i < unscoped ? undefined : `S${i % sessions}`,
      last: undefined,
      lastEventId: undefined,
      openedAt: 0,
      open: false,
      closed: false,
      churning: false,
      close: () => {},
    };
    clients.push(client);
    connect(client);
    // About 1,000 new connections a second.
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function report(kind) {
  const openCount = clients.filter((client) => client.open && !client.closed).length;
  process.send({ kind, open: openCount, totals: { ...totals }, interval: { sse: interval.sse.summary(), websocket: interval.websocket.summary() }, overall: { sse: latency.sse.summary(), websocket: latency.websocket.summary() }, rss: process.memoryUsage.rss() });
  interval = { sse: new Histogram(), websocket: new Histogram() };
}

let churnTimer;
const reportTimer = setInterval(() => report("sample"), reportEveryMs);
process.on("message", (message) => {
  if (message.kind === "churn") churnTimer ??= setInterval(churn, 100);
  if (message.kind === "calm") clearInterval(churnTimer);
  if (message.kind === "lastSeq") {
    // The publisher stopped: wait until every client holds the last event of its scope.
    const done = () => clients.every((client) => client.last === (client.session === undefined ? message.g : message.seq[client.session]));
    const check = setInterval(() => {
      if (!done()) return;
      clearInterval(check);
      report("final");
    }, 100);
  }
  if (message.kind === "stop") {
    stopping = true;
    clearInterval(reportTimer);
    for (const client of clients) client.close();
    setTimeout(() => process.exit(0), 200);
  }
});
await rampUp();
process.send({ kind: "rampedUp" });

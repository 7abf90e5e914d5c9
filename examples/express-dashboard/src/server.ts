import { createHub } from "@eventwire/core";
import { eventwire } from "@eventwire/express";
import { FakeAgent } from "@eventwire/test-fixtures";
import express from "express";
import { dashboardAssets } from "./dashboard-assets.js";
import { hubMetrics } from "./hub-metrics.js";
import { mergeWords } from "./merge-words.js";
import { authorizeSignedIn, signIn } from "./sign-in.js";

// The hub's OpenTelemetry metrics, which the page's live panel reads from GET /metrics.json.
const metrics = hubMetrics();

// One hub for the process. `callId` names each event's session, so `/events?session=CA_1001`
// streams one call; `orgId` its customer (the `tenant` scope), so a customer's stream carries its
// own calls only; tool results go only to connections that ask for them (`include=`).
const hub = createHub({
  sessionKey: "callId",
  scopes: { tenant: "orgId" },
  optIn: ["llm.tool_result"],
  // A minute of events: enough to resume after a blip, and what a freshly opened page catches up on.
  history: { maxEvents: 5_000, maxAgeMs: 60_000 },
  // A page catching up (opened mid-call, or back after a long disconnect) gets each run of a call's
  // words as one event; live words still come one by one (docs/protocol.md#resume).
  compact: { "bot.word": mergeWords },
  // Who is signed in decides what the stream carries: a customer `{ scopes: { tenant: [org] } }`,
  // the operator everything (docs/protocol.md#sessions-scopes-and-authorization).
  authorize: authorizeSignedIn,
  meter: metrics.meter,
});

// The voice agent: a scripted one replaying overlapping calls forever. Yours is an EventEmitter too.
const agent = new FakeAgent({ loop: true });
hub.attach(agent, { events: agent.events });
agent.start();

const app = express();
const events = eventwire(hub, { path: "/events" });
app.use(events); // GET /events: SSE
app.get("/metrics.json", metrics.route); // the hub's metrics, for the page's panel
app.use(signIn(hub)); // GET /account, POST /login, POST /logout
app.use(dashboardAssets()); // the page, at /

const port = Number(process.env.PORT ?? 3000);
const server = events.attach(app.listen(port)); // WebSocket upgrades on /events
server.once("listening", () => console.log(`eventwire live call monitor: http://localhost:${port} (stream at /events)`));
server.once("error", (error) => {
  console.error(`cannot listen on port ${port}: ${error.message}`);
  process.exit(1);
});

// Ctrl-C (which reaches npm and this process alike): stop the agent, close every stream
// (WebSockets get 1001; browsers resume when a server is back), then exit.
let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    agent.stop();
    void hub.close().then(() => server.close(() => process.exit(0)));
  });
}

import { readFile } from "node:fs/promises";
import { createHub } from "@eventwire/core";
import { eventwire, guardNodeWebSocket } from "@eventwire/hono";
import { FakeAgent } from "@eventwire/test-fixtures";
import { serve } from "@hono/node-server";
import { createNodeWebSocket } from "@hono/node-ws";
import { Hono } from "hono";

// One hub for the process; `callId` names each event's session (`/events?session=CA_1001`), and
// tool results go only to connections that `include` them. A demo: anyone may watch every call.
const hub = createHub({ sessionKey: "callId", optIn: ["llm.tool_result"], authorize: true });

// A scripted voice agent replaying overlapping calls forever. Yours is an EventEmitter too.
const agent = new FakeAgent({ loop: true });
hub.attach(agent, { events: agent.events });
agent.start();

const app = new Hono();
// Guarded: @hono/node-ws's own upgrade listener crashes on some request targets (see the README).
const { upgradeWebSocket, injectWebSocket, wss } = guardNodeWebSocket(createNodeWebSocket({ app }));
Object.assign(wss.options, hub.wsServerOptions); // the hub's message-size limits, before a client connects
// SSE on Web streams, and WebSocket through @hono/node-ws, both on GET /events.
app.route("/events", eventwire(hub, { upgradeWebSocket }));

const page = await readFile(new URL("../public/index.html", import.meta.url), "utf8");
app.get("/", (c) => c.html(page));

const port = Number(process.env.PORT ?? 3000);
const server = serve({ fetch: app.fetch, port }, () => console.log(`eventwire on hono: http://localhost:${port} (stream at /events)`));
injectWebSocket(server);

// Ctrl-C (which reaches npm and this process alike): stop the agent, end every stream
// (WebSockets get 1001), then exit.
let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    agent.stop();
    void hub.close().then(() => server.close(() => process.exit(0)));
  });
}

import { readFile } from "node:fs/promises";
import { createHub } from "@eventwire/core";
import eventwire from "@eventwire/fastify";
import { FakeAgent } from "@eventwire/test-fixtures";
import Fastify from "fastify";

// One hub for the process; `callId` names each event's session (`/events?session=CA_1001`), and
// tool results go only to connections that `include` them. A demo: anyone may watch every call.
const hub = createHub({ sessionKey: "callId", optIn: ["llm.tool_result"], authorize: true });

// A scripted voice agent replaying overlapping calls forever. Yours is an EventEmitter too.
const agent = new FakeAgent({ loop: true });
hub.attach(agent, { events: agent.events });
agent.start();

const app = Fastify();
// SSE and WebSocket on GET /events. Registers @fastify/websocket, and app.close() closes the hub.
await app.register(eventwire, { hub, path: "/events" });

const page = await readFile(new URL("../public/index.html", import.meta.url), "utf8");
app.get("/", (_request, reply) => reply.type("text/html; charset=utf-8").send(page));

const port = Number(process.env.PORT ?? 3000);
await app.listen({ port, host: "0.0.0.0" });
console.log(`eventwire on fastify: http://localhost:${port} (stream at /events)`);

// Ctrl-C (which reaches npm and this process alike): stop the agent; app.close() ends every stream
// (WebSockets get 1001) before it returns.
let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (closing) return;
    closing = true;
    agent.stop();
    await app.close();
    process.exit(0);
  });
}

import { readFile } from "node:fs/promises";
import http from "node:http";
import { createHub } from "@eventwire/core";
import { FakeAgent } from "@eventwire/test-fixtures";

// One hub for the process. This demo lets anyone watch every call; a real app passes `authorize`.
const hub = createHub({ sessionKey: "callId", optIn: ["llm.tool_result"], authorize: true });

// A scripted voice agent replaying overlapping calls forever, published as it emits.
const agent = new FakeAgent({ loop: true });
hub.attach(agent, { events: agent.events });
agent.start();

const page = await readFile(new URL("../public/index.html", import.meta.url));
// The path of a request target, query aside. Not `new URL(...)`: it throws on targets a client may
// send (`//` and no valid authority), and a throw here would take the server down.
const pathOf = (url = "/") => url.split("?", 1)[0];

const server = http.createServer((request, response) => {
  const pathname = pathOf(request.url);
  if (pathname === "/events") return void hub.sse(request, response);
  if (pathname === "/") return void response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
  response.writeHead(404).end();
});
server.on("upgrade", (request, socket, head) => {
  if (pathOf(request.url) === "/events") hub.handleUpgrade(request, socket, head);
  else socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
});

const port = Number(process.env.PORT ?? 3000);
server.listen(port, () => console.log(`eventwire demo: http://localhost:${port} (stream at /events)`));

// Ctrl-C (which reaches npm and this process alike): stop the agent, end every stream, then exit.
let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (closing) return;
    closing = true;
    agent.stop();
    await hub.close();
    server.close(() => process.exit(0));
  });
}

import http from "node:http";
import { createHub } from "@eventwire/core";
import { createEventStream } from "@eventwire/client";
import WebSocket from "ws";

const hub = createHub({ authorize: true });
const server = http.createServer((req, res) => hub.sse(req, res));
server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/events`;
for (const transport of ["sse", "websocket"]) {
  const stream = createEventStream({ url, transport, WebSocket });
  const got = new Promise((resolve) => stream.on("smoke", resolve));
  await new Promise((resolve) => stream.onStatus((status) => status === "connected" && resolve()));
  await hub.publish({ event: "smoke", transport });
  const event = await got;
  stream.close();
  if (event.transport !== transport || typeof event.id !== "string") throw new Error(`client: bad event ${JSON.stringify(event)}`);
}
console.log("client: ok sse websocket");
await hub.close();
server.close();

import http from "node:http";
import { createHub } from "@eventwire/core";
import { natsBus } from "@eventwire/nats";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { checkBothTransports } from "./check.mjs";

const stream = `eventwire_pack_smoke_${process.pid}`;
const hub = createHub({ authorize: true, bus: natsBus({ servers: "127.0.0.1:4222", stream }) });
await hub.ready();
const server = http.createServer((req, res) => hub.sse(req, res));
server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
try {
  await checkBothTransports("nats", `http://127.0.0.1:${server.address().port}/events`, (event) => hub.publish(event));
} finally {
  await hub.close();
  server.close();
  const connection = await connect({ servers: "127.0.0.1:4222" });
  await (await jetstreamManager(connection)).streams.delete(stream);
  await connection.close();
}

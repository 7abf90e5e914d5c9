import http from "node:http";
import { createHub } from "@eventwire/core";
import { natsBus } from "@eventwire/nats";
import { checkBothTransports } from "./check.mjs";

const hub = createHub({ authorize: true, bus: natsBus({ servers: "127.0.0.1:4222", stream: `eventwire_pack_smoke_${process.pid}` }) });
await hub.ready();
const server = http.createServer((req, res) => hub.sse(req, res));
server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
await checkBothTransports("nats", `http://127.0.0.1:${server.address().port}/events`, hub);
await hub.close();
server.close();

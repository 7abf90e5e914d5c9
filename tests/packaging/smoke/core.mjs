import http from "node:http";
import { createHub } from "@eventwire/core";
import { checkBothTransports } from "./check.mjs";

const hub = createHub({ authorize: true });
const server = http.createServer((req, res) => hub.sse(req, res));
server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
await checkBothTransports("core", `http://127.0.0.1:${server.address().port}/events`, (event) => hub.publish(event));
await hub.close();
server.close();

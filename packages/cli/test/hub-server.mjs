// A web process serving a hub whose history lives in Redis: killed and restarted by the tests,
// it comes back with the same history, so a client resumes across the restart.
import http from "node:http";
import { createHub } from "@eventwire/core";
import { redisBus } from "@eventwire/redis";

const hub = createHub({ authorize: true, heartbeatMs: 1_000, bus: redisBus({ url: process.env.REDIS_URL, stream: process.env.STREAM }) });
const server = http.createServer((req, res) => hub.sse(req, res));
server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));

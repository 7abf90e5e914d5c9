import http from "node:http";
import { createHub } from "@eventwire/core";
import { redisBus } from "@eventwire/redis";
import { Redis } from "ioredis";
import { checkBothTransports } from "./check.mjs";

const stream = `eventwire-pack-smoke-${process.pid}`;
const hub = createHub({ authorize: true, bus: redisBus({ url: "redis://127.0.0.1:6379", stream }) });
await hub.ready();
const server = http.createServer((req, res) => hub.sse(req, res));
server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
try {
  await checkBothTransports("redis", `http://127.0.0.1:${server.address().port}/events`, (event) => hub.publish(event));
} finally {
  await hub.close();
  server.close();
  const redis = new Redis("redis://127.0.0.1:6379");
  await redis.del(stream);
  redis.disconnect();
}

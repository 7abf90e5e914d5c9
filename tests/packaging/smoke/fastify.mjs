import Fastify from "fastify";
import { createHub } from "@eventwire/core";
import eventwire from "@eventwire/fastify";
import { checkBothTransports } from "./check.mjs";

const hub = createHub({ authorize: true });
const app = Fastify();
await app.register(eventwire, { hub, path: "/events" });
const address = await app.listen({ port: 0, host: "127.0.0.1" });
await checkBothTransports("fastify", `${address}/events`, (event) => hub.publish(event));
await app.close();

import { serve } from "@hono/node-server";
import { createNodeWebSocket } from "@hono/node-ws";
import { Hono } from "hono";
import { createHub } from "@eventwire/core";
import { eventwire, guardNodeWebSocket } from "@eventwire/hono";
import { checkBothTransports } from "./check.mjs";

const hub = createHub({ authorize: true });
const app = new Hono();
// As the README sets it up: the upgrade listener guarded, the ws server given the hub's limits.
const { upgradeWebSocket, injectWebSocket, wss } = guardNodeWebSocket(createNodeWebSocket({ app }));
Object.assign(wss.options, hub.wsServerOptions);
app.route("/events", eventwire(hub, { upgradeWebSocket }));
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
injectWebSocket(server);
await new Promise((resolve) => server.once("listening", resolve));
await checkBothTransports("hono", `http://127.0.0.1:${server.address().port}/events`, (event) => hub.publish(event));
await hub.close();
server.close();

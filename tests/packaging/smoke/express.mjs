import express from "express";
import { createHub } from "@eventwire/core";
import { eventwire } from "@eventwire/express";
import { checkBothTransports } from "./check.mjs";

const hub = createHub({ authorize: true });
const app = express();
const events = eventwire(hub, { path: "/events" });
app.use(events);
const server = app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
events.attach(server);
await checkBothTransports("express", `http://127.0.0.1:${server.address().port}/events`, (event) => hub.publish(event));
await hub.close();
server.close();

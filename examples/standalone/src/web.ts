import type { Server } from "node:http";
import { eventwire } from "@eventwire/express";
import { dashboardAssets, signIn } from "@eventwire/example-express-dashboard";
import express from "express";
import { createCallHub, onShutdown } from "./call-hub.js";

// The web process: serves the live call monitor and the stream, publishes nothing. Every event
// comes from the agent process through Redis. Run as many of these as you like, behind any
// load balancer: a browser can reconnect to another one and resume where it was.
const hub = createCallHub();

const app = express();
const events = eventwire(hub, { path: "/events" });
app.use(events);
app.use(signIn(hub)); // its sign-in: GET /account, POST /login, POST /logout
app.use(dashboardAssets()); // the dashboard of examples/express-dashboard, at /

// Take connections once the hub has reached Redis: a browser resuming right after a restart needs
// the history there.
await hub.ready();
const port = Number(process.env.PORT ?? 3000);
const server: Server = events.attach(app.listen(port));
server.once("listening", () => console.log(`web: live call monitor on http://localhost:${port} (stream at /events)`));
server.once("error", (error) => {
  console.error(`web: cannot listen on port ${port}: ${error.message}`);
  process.exit(1);
});

onShutdown(async () => {
  await hub.close(); // ends every stream (WebSockets get 1001); browsers resume on the next web process
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

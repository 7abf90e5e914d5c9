import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Hub } from "@eventwire/core";
import type { StartedServer } from "@eventwire/conformance";
import express from "express";
import { eventwire } from "../src/index.js";

/** Listens on `port` (0: a free one); `close` ends every connection the server still holds. */
export async function listen(app: express.Express, path: string, attach: (server: http.Server) => void, port = 0): Promise<StartedServer> {
  const server = http.createServer(app);
  attach(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** An Express 5 app serving `hub` with the middleware mounted on the app, at /events. */
export function startServer(hub: Hub, port = 0): Promise<StartedServer> {
  const app = express();
  const events = eventwire(hub);
  app.use(events);
  app.use((_request, response) => void response.status(404).json({ error: "not_found" }));
  return listen(app, "/events", (server) => events.attach(server), port);
}

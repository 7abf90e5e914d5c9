import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Hub } from "@eventwire/core";
import { runConformance, type StartedServer } from "@eventwire/conformance";
import express from "express";
import { eventwire } from "../src/index.js";

/** A started server and the node:http server under it (the reliability suite counts its connections). */
export type ExpressServer = StartedServer & { readonly http: http.Server };

/** Listens on `port` (0: a free one); `close` ends every connection the server still holds. */
export async function listen(app: express.Express, path: string, attach: (server: http.Server) => void, port = 0): Promise<ExpressServer> {
  const server = http.createServer(app);
  attach(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    http: server,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Express itself: version 5 (`express`) or 4 (`express4`, an alias of express@4). */
export type Express = typeof express;

/** An Express app (5 unless `framework` is 4) serving `hub` with the middleware mounted on the app, at /events. */
export function startServer(hub: Hub, port = 0, framework: Express = express): Promise<ExpressServer> {
  const app = framework();
  const events = eventwire(hub);
  app.use(events);
  app.use((_request, response) => void response.status(404).json({ error: "not_found" }));
  return listen(app, "/events", (server) => events.attach(server), port);
}

/** The whole conformance suite on an Express app of `framework`, the middleware on the app and on a Router under /api. */
export function runExpressConformance(name: string, framework: Express): void {
  // Express routes `/events/` and `/events//` to the middleware at `/events` (non-strict routing).
  const capabilities = { routing: { "trailing slash": "stream" } } as const;
  runConformance(`${name} app`, (hub) => startServer(hub, 0, framework), { capabilities });
  // The stream is at /api/events: the middleware on a Router mounted under a prefix.
  runConformance(`${name} router under /api`, async (hub) => {
    const app = framework();
    const router = framework.Router();
    const events = eventwire(hub, { upgradePath: "/api/events" });
    router.use(events);
    app.use("/api", router);
    return listen(app, "/api/events", (server) => events.attach(server));
  }, { capabilities });
}

import http from "node:http";
import type { AddressInfo } from "node:net";
import { runConformance, type StartedServer } from "@eventwire/conformance";
import express from "express";
import { eventwire } from "../src/index.js";

/** Listens on a free port; `close` ends every connection the server still holds. */
async function serve(app: express.Express, path: string, attach: (server: http.Server) => void): Promise<StartedServer> {
  const server = http.createServer(app);
  attach(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

// The whole suite on an Express 5 app, the middleware mounted on the app.
runConformance("express app", async (hub) => {
  const app = express();
  const events = eventwire(hub);
  app.use(events);
  app.use((_request, response) => void response.status(404).json({ error: "not_found" }));
  return serve(app, "/events", (server) => events.attach(server));
});

// And again with the middleware on a Router mounted under a prefix: the stream is at /api/events.
runConformance("express router under /api", async (hub) => {
  const app = express();
  const router = express.Router();
  const events = eventwire(hub, { upgradePath: "/api/events" });
  router.use(events);
  app.use("/api", router);
  return serve(app, "/api/events", (server) => events.attach(server));
});

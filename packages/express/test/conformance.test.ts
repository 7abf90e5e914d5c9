import { runConformance } from "@eventwire/conformance";
import express from "express";
import { eventwire } from "../src/index.js";
import { listen, startServer } from "./server.js";

// The whole suite on an Express 5 app, the middleware mounted on the app.
runConformance("express app", (hub) => startServer(hub));

// And again with the middleware on a Router mounted under a prefix: the stream is at /api/events.
runConformance("express router under /api", async (hub) => {
  const app = express();
  const router = express.Router();
  const events = eventwire(hub, { upgradePath: "/api/events" });
  router.use(events);
  app.use("/api", router);
  return listen(app, "/api/events", (server) => events.attach(server));
});

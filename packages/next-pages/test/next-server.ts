import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { fixtureDir } from "./build-fixture.js";

/** A Next.js server for the fixture app, running in this process (so it shares `globalThis` with the test). */
export interface RunningNext {
  server: http.Server;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  close(): Promise<void>;
}

/**
 * Starts the fixture app the way Next's custom-server docs do: `next({ dir, dev })`, `prepare()`,
 * and a node:http server on `port` (0: a free one) whose requests go to Next's request handler.
 */
export async function startNext(dev: boolean, port = 0): Promise<RunningNext> {
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  // `next` is CommonJS whose module.exports is the function; its types say `export default`.
  const next = createRequire(import.meta.url)("next") as typeof import("next/dist/server/next.js").default;
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const listening = (server.address() as AddressInfo).port;
  const app = next({ dir: fixtureDir, dev, hostname: "127.0.0.1", port: listening, httpServer: server, quiet: true });
  // Requests that come while Next prepares (clients retrying at a restarted server) wait for it.
  const prepared = app.prepare().then(() => app.getRequestHandler());
  server.on("request", (request, response) => void prepared.then((handle) => handle(request, response)));
  await prepared;
  return {
    server,
    origin: `http://127.0.0.1:${listening}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

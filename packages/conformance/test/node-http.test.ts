import http from "node:http";
import type { AddressInfo } from "node:net";
import { runConformance } from "../src/index.js";

// The suite on the simplest server there is: core on a bare node:http server.
runConformance("node:http", async (hub) => {
  const server = http.createServer((request, response) => {
    if (new URL(request.url ?? "/", "http://x").pathname === "/events") void hub.sse(request, response);
    else response.writeHead(404).end();
  });
  server.on("upgrade", (request, socket, head) => hub.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
});

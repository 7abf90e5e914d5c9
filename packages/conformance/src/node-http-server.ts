import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Hub } from "@eventwire/core";
import type { ServerFactory, StartedServer } from "./harness.js";

/**
 * The simplest server there is: `hub` on a bare node:http server at `/events` on 127.0.0.1 and
 * `port` (default a spare one) (SSE through `hub.sse`, WebSocket through `hub.handleUpgrade`). A {@link ServerFactory}
 * for suites that test a bus rather than a framework. `http` is the node:http server itself (for a
 * suite that watches its connections).
 */
export async function nodeHttpServer(hub: Hub, port = 0): Promise<StartedServer & { readonly http: http.Server }> {
  const server = http.createServer((request, response) => {
    // The path, query aside; `new URL` would throw on a target a client may send (`//[`, say).
    if ((request.url ?? "/").split("?", 1)[0] === "/events") void hub.sse(request, response);
    else response.writeHead(404).end();
  });
  server.on("upgrade", (request, socket, head) => hub.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    http: server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

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
  // The path, query aside; `new URL` would throw on a target a client may send (`//[`, say).
  const atEvents = (request: http.IncomingMessage) => (request.url ?? "/").split("?", 1)[0] === "/events";
  const server = http.createServer((request, response) => {
    if (atEvents(request)) void hub.sse(request, response);
    else response.writeHead(404).end();
  });
  server.on("upgrade", (request, socket, head) => {
    if (atEvents(request)) hub.handleUpgrade(request, socket, head);
    else socket.on("error", () => socket.destroy()).end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
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

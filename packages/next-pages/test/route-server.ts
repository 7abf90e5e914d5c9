import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Hub } from "@eventwire/core";
import type { StartedServer } from "@eventwire/conformance";
import { eventwire } from "../src/index.js";

/**
 * The API route handler `eventwire(hub)` called as Next calls it (`(req, res)` on Node's own
 * objects) from a plain node:http server at /api/events: the adapter's code without a `next build`,
 * for suites that start hundreds of servers (the reliability suite; the conformance suite runs the
 * fixture app under Next, see server.ts). Its first request claims WebSocket upgrades on the path,
 * as in Next, so one is made before this resolves, on a connection of its own that closes. `http` is
 * the node:http server (the reliability suite counts its connections).
 */
export async function startRouteServer(hub: Hub): Promise<StartedServer & { readonly http: http.Server }> {
  const route = eventwire(hub);
  const server = http.createServer((request, response) => {
    // The path, query aside; `new URL` would throw on a target a client may send (`//[`, say).
    if ((request.url ?? "/").split("?", 1)[0] === "/api/events") void route(request, response);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`;
  const status = await new Promise<number>((resolve, reject) => {
    const request = http.request(url, { method: "OPTIONS", headers: { origin: "https://warm.example" }, agent: false }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.on("error", reject);
    request.end();
  });
  if (status !== 204) throw new Error(`the route answered its first request with ${status}`);
  return {
    url,
    http: server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import type http from "node:http";
import { nodeHttpServer, type StartedServer } from "@eventwire/conformance";
import type { Hub } from "@eventwire/core";
// The servers of each adapter's own conformance suite (its test/server.ts), set up as its README
// does: one set of factories for both suites, so a setup fixed (or broken) in one is so in both.
import { startServer as startExpress } from "../../../packages/express/test/server.js";
import { startServer as startFastify } from "../../../packages/fastify/test/server.js";
import { startServer as startHono } from "../../../packages/hono/test/server.js";
import { startRouteServer as startNextPagesRoute } from "../../../packages/next-pages/test/route-server.js";

/** A started server, and the Node http server under it (for its connection count). */
export interface ReliabilityServer extends StartedServer {
  readonly http: http.Server;
}

export interface NamedFactory {
  readonly name: string;
  readonly start: (hub: Hub) => Promise<ReliabilityServer>;
}

/** Core on a bare node:http server: `hub.sse` for requests, `hub.handleUpgrade` for upgrades. */
export const nodeHttp: NamedFactory = { name: "node:http", start: (hub) => nodeHttpServer(hub) };

/** Every server the suite runs its per-adapter cases on. */
export const servers: readonly NamedFactory[] = [
  nodeHttp,
  /** `@eventwire/express` on an Express 5 app. */
  { name: "express", start: (hub) => startExpress(hub) },
  /** `@eventwire/fastify` registered on a Fastify 5 app. */
  { name: "fastify", start: (hub) => startFastify(hub) },
  /** `@eventwire/hono` on `@hono/node-server`, WebSocket through `@hono/node-ws`, guarded and given the hub's limits. */
  { name: "hono", start: (hub) => startHono(hub) },
  /** `@eventwire/next-pages`' API route handler on a plain node:http server, called as Next calls it. */
  { name: "next-pages route", start: (hub) => startNextPagesRoute(hub) },
];

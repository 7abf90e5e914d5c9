import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ServerFactory, StartedServer } from "@eventwire/conformance";
import type { Hub } from "@eventwire/core";
import { once } from "node:events";
import { eventwire as expressEventwire } from "@eventwire/express";
import fastifyEventwire from "@eventwire/fastify";
import { eventwire as honoEventwire } from "@eventwire/hono";
import { eventwire as nextEventwire } from "@eventwire/next-pages";
import { serve } from "@hono/node-server";
import { createNodeWebSocket } from "@hono/node-ws";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";

/** A started server, and the Node http server under it (for its connection count). */
export interface ReliabilityServer extends StartedServer {
  readonly http: http.Server;
}

export interface NamedFactory {
  readonly name: string;
  readonly start: (hub: Hub) => Promise<ReliabilityServer>;
}

async function listen(server: http.Server, path: string): Promise<ReliabilityServer> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    http: server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Core on a bare node:http server: `hub.sse` for requests, `hub.handleUpgrade` for upgrades. */
export const nodeHttp: NamedFactory = {
  name: "node:http",
  start: (hub) => {
    const server = http.createServer((request, response) => {
      if (new URL(request.url ?? "/", "http://x").pathname === "/events") void hub.sse(request, response);
      else response.writeHead(404).end();
    });
    server.on("upgrade", (request, socket, head) => hub.handleUpgrade(request, socket, head));
    return listen(server, "/events");
  },
};

/** `@eventwire/express` on an Express 5 app. */
export const expressApp: NamedFactory = {
  name: "express",
  start: (hub) => {
    const app = express();
    const events = expressEventwire(hub);
    app.use(events);
    app.use((_request, response) => void response.status(404).json({ error: "not_found" }));
    const server = http.createServer(app);
    events.attach(server);
    return listen(server, "/events");
  },
};

/** `@eventwire/fastify` registered on a Fastify 5 app. */
export const fastifyApp: NamedFactory = {
  name: "fastify",
  start: async (hub) => {
    const app = Fastify();
    await app.register(fastifyEventwire, { hub });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/events`, http: app.server, close: () => app.close() };
  },
};

/**
 * `@eventwire/hono` on `@hono/node-server`, WebSocket through `@hono/node-ws`, whose own `ws`
 * server is given the hub's limits as the adapter's README says (it would otherwise take messages
 * of up to 100 MiB in up to 16,384 fragments).
 */
export const honoApp: NamedFactory = {
  name: "hono",
  start: async (hub) => {
    const app = new Hono();
    const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
    Object.assign(wss.options, hub.wsServerOptions);
    app.route("/events", honoEventwire(hub, { upgradeWebSocket }));
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as http.Server;
    injectWebSocket(server);
    if (!server.listening) await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/events`,
      http: server,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  },
};

/**
 * `@eventwire/next-pages`' API route handler, called as Next calls it (`(req, res)` on Node's own
 * objects) from a plain node:http server: the adapter's code without a `next build` (its own tests
 * run it under Next). Its first request claims WebSocket upgrades on the path, as in Next.
 */
export const nextPagesRoute: NamedFactory = {
  name: "next-pages route",
  start: async (hub) => {
    const route = nextEventwire(hub);
    const server = http.createServer((request, response) => {
      if (new URL(request.url ?? "/", "http://x").pathname === "/api/events") void route(request, response);
      else response.writeHead(404).end();
    });
    const started = await listen(server, "/api/events");
    // One request first, on a connection of its own that closes (no keep-alive socket left behind).
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(started.url, { method: "OPTIONS", headers: { origin: "https://warm.example" }, agent: false }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      });
      request.on("error", reject);
      request.end();
    });
    if (status !== 204) throw new Error(`the route answered its first request with ${status}`);
    return started;
  },
};

/** Every server the suite runs its per-adapter cases on. */
export const servers: readonly NamedFactory[] = [nodeHttp, expressApp, fastifyApp, honoApp, nextPagesRoute];

/** The conformance suite's factory shape, for code that takes one. */
export const asServerFactory = (factory: NamedFactory): ServerFactory => factory.start;

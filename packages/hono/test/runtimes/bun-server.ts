// The hub process of the Bun conformance run (../bun.test.ts): each hub the suite opens is served by
// a Hono app on Bun.serve, WebSocket through hono/bun, as the README's Bun setup does.
import { hostHubs } from "@eventwire/conformance/remote";
import { Hono } from "hono";
import { upgradeWebSocket, websocket } from "hono/bun";
import { eventwire } from "../../src/index.js";

// The part of Bun's API used here (this package's types are Node's).
declare const Bun: {
  serve(options: { port: number; hostname: string; fetch: (request: Request, server: unknown) => Response | Promise<Response>; websocket: object & { idleTimeout?: number; maxPayloadLength?: number } }): {
    port: number;
    stop(closeActiveConnections?: boolean): Promise<void>;
  };
};

hostHubs(async (hub) => {
  const app = new Hono();
  app.route("/events", eventwire(hub, { upgradeWebSocket }));
  // Bun pings an idle WebSocket itself and drops one that stays silent: its idleTimeout, in seconds,
  // set from the hub's heartbeat (hono/bun reports no pong to the hub).
  const idleTimeout = Math.ceil(hub.options.heartbeatMs / 1_000);
  // The hub's message limit, which Bun then applies on a message's header (its default is 16 MiB).
  const maxPayloadLength = hub.options.limits.maxMessageBytes;
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch, websocket: { ...websocket, idleTimeout, maxPayloadLength } });
  return { url: `http://127.0.0.1:${server.port}/events`, close: () => server.stop(true) };
});

// The hub process of the Deno conformance run (../deno.test.ts): each hub the suite opens is served
// by a Hono app on Deno.serve, WebSocket through hono/deno, as the README's Deno setup does.
import { hostHubs } from "@eventwire/conformance/remote";
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import { eventwire } from "../../src/index.js";

// The part of Deno's API used here (this package's types are Node's).
declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen(): void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
};

hostHubs(async (hub) => {
  const app = new Hono();
  app.route("/events", eventwire(hub, { upgradeWebSocket }));
  let listening!: () => void;
  const listened = new Promise<void>((resolve) => (listening = resolve));
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => listening() }, app.fetch);
  await listened;
  return { url: `http://127.0.0.1:${server.addr.port}/events`, close: () => server.shutdown() };
});

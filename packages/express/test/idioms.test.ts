import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHub, type EventwireRequest, type Hub } from "@eventwire/core";
import { ClientScope, RecordingLogger, until } from "@eventwire/conformance";
import compression from "compression";
import express5 from "express";
import express4 from "express4";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { eventwire } from "../src/index.js";

const scope = new ClientScope();
afterEach(() => scope.closeAll());

function hubFor(options: Parameters<typeof createHub>[0] = {}): { hub: Hub; logger: RecordingLogger } {
  const logger = new RecordingLogger();
  const hub = createHub({ authorize: true, logger, ...options });
  scope.defer(() => hub.close());
  return { hub, logger };
}

/** Starts `app` on a real server; `prepare` runs before it listens (to attach upgrade handlers). */
async function listen(app: express5.Express, prepare: (server: http.Server) => void = () => {}): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer(app);
  prepare(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  scope.defer(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { server, base: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const sse = (url: string, headers?: Record<string, string>) => scope.sse(url, headers);

const ws = (url: string) => scope.ws(url);

/** A WebSocket that may be refused: the handshake's HTTP status (101 when it opened) and body. */
function handshake(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("open", () => (socket.terminate(), resolve({ status: 101, body: "" })));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.once("end", () => (socket.terminate(), resolve({ status: response.statusCode!, body })));
    });
    socket.once("error", reject);
  });
}

// Every idiom on both majors the peer range allows.
describe.each([["Express 5", express5], ["Express 4", express4]] as const)("%s", (_major, express) => {
  describe("a Router mounted under a prefix", () => {
    it("serves SSE and WebSocket at /api/events, with authorize seeing the URL the client sent", async () => {
      const seen: string[] = [];
      const { hub } = hubFor({ authorize: (request: EventwireRequest) => (seen.push(`${request.method} ${request.url}`), true) });
      const app = express();
      const router = express.Router();
      const events = eventwire(hub, { upgradePath: "/api/events" });
      router.use(events);
      app.use("/api", router);
      const { base } = await listen(app, (server) => events.attach(server));

      const stream = await sse(`http://${base}/api/events?session=S1`);
      const socket = await ws(`ws://${base}/api/events?session=S1`);
      const id = await hub.publish({ event: "bot.word", sessionId: "S1", word: "hi" });
      await stream.waitForEvents(1);
      await socket.waitForEvents(1);
      expect(stream.status).toBe(200);
      expect(stream.events).toEqual([{ event: "bot.word", sessionId: "S1", word: "hi", id }]);
      expect(socket.events).toEqual([{ event: "bot.word", sessionId: "S1", word: "hi", id }]);
      expect(seen).toEqual(["GET /api/events?session=S1", "GET /api/events?session=S1"]);

      // Not at the bare path: Express answers its own 404 there, and no upgrade is served.
      expect((await fetch(`http://${base}/events`)).status).toBe(404);
      expect(await handshake(`ws://${base}/events`)).toEqual({ status: 404, body: "" });
    });

    it("warns once when SSE is reached under a prefix that upgradePath misses", async () => {
      const { hub, logger } = hubFor();
      const app = express();
      const router = express.Router();
      const events = eventwire(hub);
      router.use(events);
      app.use("/api", router);
      const { base } = await listen(app, (server) => events.attach(server));
      (await sse(`http://${base}/api/events`)).close();
      (await sse(`http://${base}/api/events/`)).close();
      expect(logger.warnings).toEqual(['[eventwire] SSE is served at "/api/events" but WebSocket upgrades at "/events": pass { upgradePath: "/api/events" } to eventwire()']);
    });
  });

  describe("compression() mounted before the middleware", () => {
    it("streams SSE at once, uncompressed, while other responses are compressed", async () => {
      const { hub } = hubFor();
      const app = express();
      app.use(compression({ threshold: 0 }));
      app.get("/report", (_request, response) => void response.json({ text: "x".repeat(2000) }));
      app.use(eventwire(hub));
      const { base } = await listen(app);

      const report = await fetch(`http://${base}/report`, { headers: { "accept-encoding": "gzip" } });
      expect(report.headers.get("content-encoding")).toBe("gzip");
      expect(((await report.json()) as { text: string }).text).toHaveLength(2000);

      const stream = await sse(`http://${base}/events`, { "accept-encoding": "gzip, deflate, br" });
      expect(stream.status).toBe(200);
      expect(stream.headers["cache-control"]).toBe("no-cache, no-transform");
      expect(stream.headers["content-encoding"]).toBe("identity");
      await until(() => /^retry: \d+\n\n$/.test(stream.raw), "the retry line, unbuffered");
      const id = await hub.publish({ event: "call.started", sessionId: "S" });
      await stream.waitForEvents(1);
      expect(stream.raw).toMatch(new RegExp(`^retry: \\d+\\n\\nid: ${id}\\ndata: \\{"event":"call.started","sessionId":"S","id":"${id}"\\}\\n\\n$`));
      expect(stream.ended).toBe(false);
    });
  });

  describe("attach(server)", () => {
    it.each(["before", "after"])("leaves other upgrade paths to their own server (a ws server on /other, created %s attach)", async (order) => {
      const { hub } = hubFor();
      const app = express();
      const events = eventwire(hub);
      app.use(events);
      const { base } = await listen(app, (server) => {
        const startOther = () => {
          const other = new WebSocketServer({ server, path: "/other" });
          other.on("connection", (socket) => socket.on("message", (data) => socket.send(`echo ${data.toString()}`)));
          scope.defer(() => new Promise<void>((resolve) => other.close(() => resolve())));
        };
        if (order === "before") startOther();
        events.attach(server);
        if (order === "after") startOther();
      });

      const echo = new WebSocket(`ws://${base}/other`);
      scope.defer(() => echo.terminate());
      const reply = new Promise<string>((resolve) => echo.once("message", (data) => resolve(data.toString())));
      await new Promise((resolve) => echo.once("open", resolve));
      echo.send("hi");
      expect(await reply).toBe("echo hi");

      const client = await ws(`ws://${base}/events`);
      const id = await hub.publish({ event: "agent.status" });
      await client.waitForEvents(1);
      expect(client.events).toEqual([{ event: "agent.status", id }]);
      expect(hub.stats().connections).toEqual({ sse: 0, websocket: 1 });
    });

    it("returns the server; detach() stops serving upgrades, which then reach Express and are answered 426", async () => {
      const { hub } = hubFor();
      const app = express();
      const events = eventwire(hub);
      app.use(events);
      let attached: http.Server | undefined;
      const { server, base } = await listen(app, (server) => (attached = events.attach(server)));
      expect(attached).toBe(server);
      expect(server.listenerCount("upgrade")).toBe(1);
      expect(await handshake(`ws://${base}/events`)).toEqual({ status: 101, body: "" });
      events.detach();
      expect(server.listenerCount("upgrade")).toBe(0);
      const refused = await handshake(`ws://${base}/events`);
      expect(refused.status).toBe(426);
      expect(JSON.parse(refused.body)).toEqual({ error: "upgrade_required", message: "WebSocket upgrades on this path need events.attach(server)" });
    });
  });

  describe("the middleware", () => {
    it("passes other methods and paths to next(), and answers a CORS preflight", async () => {
      const { hub } = hubFor();
      const app = express();
      app.use(eventwire(hub, { path: "/stream/" }));
      app.use((request, response) => void response.status(404).json({ unmatched: `${request.method} ${request.path}` }));
      const { base } = await listen(app);
      const post = await fetch(`http://${base}/stream`, { method: "POST" });
      expect([post.status, await post.json()]).toEqual([404, { unmatched: "POST /stream" }]);
      const other = await fetch(`http://${base}/events`);
      expect([other.status, await other.json()]).toEqual([404, { unmatched: "GET /events" }]);
      const preflight = await fetch(`http://${base}/stream/`, { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "GET" } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
      const stream = await sse(`http://${base}/stream`);
      expect(stream.status).toBe(200);
    });

    it("rejects a path that does not start with a slash, naming the option", () => {
      const { hub } = hubFor();
      expect(() => eventwire(hub, { path: "events" })).toThrow(new TypeError('eventwire: path must be a path starting with "/" (got "events")'));
      expect(() => eventwire(hub, { upgradePath: "api/events" })).toThrow(new TypeError('eventwire: upgradePath must be a path starting with "/" (got "api/events")'));
    });
  });
});

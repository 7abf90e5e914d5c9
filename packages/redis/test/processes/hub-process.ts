/**
 * One Eventwire process of a multi-process test, on a Redis bus. ROLE=agent: a hub with no web
 * server that publishes what the parent asks it to. ROLE=web: a hub serving SSE and WebSocket at
 * /events on node:http. It talks to the parent over IPC.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHub, type Logger } from "@eventwire/core";
import { redisBus, type RedisBusOptions } from "../../src/index.js";

/** An event to publish: a plain JSON object with a string `event`. */
export type OutgoingEvent = { event: string; [field: string]: unknown };

export type ParentMessage =
  | { type: "publish"; events: OutgoingEvent[]; concurrent?: boolean }
  | { type: "close" };

export type ChildMessage =
  | { type: "ready"; url?: string }
  | { type: "published"; results: ({ id: string } | { error: string })[] }
  | { type: "log"; level: "warn" | "error"; message: string };

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

const logger: Logger = {
  warn: (message) => send({ type: "log", level: "warn", message: String(message) }),
  error: (message, error?: unknown) =>
    send({ type: "log", level: "error", message: `${String(message)} ${error instanceof Error ? error.message : ""}`.trim() }),
};

const options = JSON.parse(process.env.BUS_OPTIONS ?? "{}") as RedisBusOptions;
const hub = createHub({ bus: redisBus(options), authorize: true, logger });
await hub.ready();

let server: http.Server | undefined;
if (process.env.ROLE === "web") {
  server = http.createServer((request, response) => {
    if (new URL(request.url ?? "/", "http://x").pathname === "/events") void hub.sse(request, response);
    else response.writeHead(404).end();
  });
  server.on("upgrade", (request, socket, head) => hub.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  send({ type: "ready", url: `http://127.0.0.1:${port}/events` });
} else {
  send({ type: "ready" });
}

// Never outlive the test that started it.
process.on("disconnect", () => process.exit(0));

process.on("message", (message: ParentMessage) => {
  void (async () => {
    if (message.type === "publish") {
      const attempt = (event: OutgoingEvent) =>
        hub.publish(event).then(
          (id) => ({ id }),
          (error: Error) => ({ error: error.message }),
        );
      const results = message.concurrent
        ? await Promise.all(message.events.map(attempt))
        : await message.events.reduce<Promise<({ id: string } | { error: string })[]>>(
            async (done, event) => [...(await done), await attempt(event)],
            Promise.resolve([]),
          );
      send({ type: "published", results });
    } else if (message.type === "close") {
      server?.closeAllConnections();
      server?.close();
      await hub.close();
      process.exit(0);
    }
  })();
});

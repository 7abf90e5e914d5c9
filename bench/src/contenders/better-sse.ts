import { createServer, type ServerResponse } from "node:http";
import { createChannel, createSession } from "better-sse";
import type { BenchEvent } from "../payload.js";
import { closeServer, heartbeatMs, listen, maxBufferedBytes, type ContenderInfo } from "./contender.js";

/**
 * better-sse channels: one session per request, registered with one channel, events sent with
 * `channel.broadcast(event, "message", { eventId })` (which serializes per session). It has no
 * slow-consumer bound of its own, so a sweep every 50 ms applies the common policy.
 */
export const betterSse: ContenderInfo = {
  name: "better-sse",
  transport: "sse",
  client: "sse",
  path: "/",
  describe: "better-sse 0.16 channel.broadcast on node:http",
  async start() {
    const channel = createChannel();
    const responses = new Set<ServerResponse>();
    const server = createServer((req, res) => {
      createSession(req, res, { keepAlive: heartbeatMs }).then(
        (session) => {
          if (!session.isConnected) return;
          channel.register(session);
          responses.add(res);
          res.once("close", () => responses.delete(res));
        },
        () => res.destroy(),
      );
    });
    let drops = 0;
    const sweep = setInterval(() => {
      for (const res of responses) {
        if (res.writableLength > maxBufferedBytes) {
          drops++;
          responses.delete(res);
          res.destroy();
        }
      }
    }, 50);
    let seq = 0;
    const port = await listen(server);
    return {
      port,
      connections: () => channel.sessionCount,
      publish(event: BenchEvent) {
        channel.broadcast(event, "message", { eventId: String(++seq) });
      },
      drops: () => drops,
      async close() {
        clearInterval(sweep);
        for (const res of responses) res.destroy();
        await closeServer(server);
      },
    };
  },
};

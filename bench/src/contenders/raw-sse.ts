import { createServer, type ServerResponse } from "node:http";
import type { BenchEvent } from "../payload.js";
import { closeServer, listen, maxBufferedBytes, withId, type ContenderInfo } from "./contender.js";

/**
 * The practical SSE limit: node:http, the event encoded once into one Buffer (`id:` and `data:`
 * lines, as eventwire writes them) and written to every response.
 */
export const sseLimit: ContenderInfo = {
  name: "http limit",
  transport: "sse",
  client: "sse",
  path: "/",
  limit: true,
  describe: "node:http; one pre-built SSE Buffer written to every response",
  async start() {
    const streams = new Set<ServerResponse>();
    const server = createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" });
      res.flushHeaders();
      res.socket?.setNoDelay(true);
      streams.add(res);
      res.once("close", () => streams.delete(res));
    });
    let drops = 0;
    let seq = 0;
    const port = await listen(server);
    return {
      port,
      connections: () => streams.size,
      publish(event: BenchEvent) {
        const id = String(++seq);
        const frame = Buffer.from(`id: ${id}\ndata: ${withId(JSON.stringify(event), id)}\n\n`);
        for (const res of streams) {
          res.write(frame);
          if (res.writableLength > maxBufferedBytes) {
            drops++;
            streams.delete(res);
            res.destroy();
          }
        }
      },
      drops: () => drops,
      async close() {
        for (const res of streams) res.destroy();
        await closeServer(server);
      },
    };
  },
};

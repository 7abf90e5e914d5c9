import { createServer, type ServerResponse } from "node:http";
import type { BenchEvent } from "../payload.js";
import { closeServer, listen, maxBufferedBytes, withId, type ContenderInfo, type ContenderServer } from "./contender.js";

/** node:http SSE streams; each event is encoded once into one Buffer and `write` sends it to each. */
async function startRawSse(write: (res: ServerResponse, frame: Buffer) => void): Promise<ContenderServer> {
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
        write(res, frame);
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
}

/**
 * The practical SSE limit: node:http, the event encoded once into one Buffer (`id:` and `data:`
 * lines, as eventwire writes them) and written to every response. node:http itself corks each
 * response's socket until the next tick, so the events of one turn already share a `writev`.
 */
export const sseLimit: ContenderInfo = {
  name: "http limit",
  transport: "sse",
  client: "sse",
  path: "/",
  limit: true,
  describe: "node:http; one pre-built SSE Buffer written to every response (node:http corks each socket per tick)",
  start: () => startRawSse((res, frame) => res.write(frame)),
};

/**
 * One write per event: as the limit, but every `res.write` goes to the socket at once (uncorked),
 * one system call per event per stream: the floor without any coalescing.
 */
export const sseOneWrite: ContenderInfo = {
  name: "http 1 write/event",
  transport: "sse",
  client: "sse",
  path: "/",
  describe: "as the http limit, with each res.write uncorked at once: one write system call per event per stream",
  start: () =>
    startRawSse((res, frame) => {
      res.write(frame);
      res.socket?.uncork();
    }),
};

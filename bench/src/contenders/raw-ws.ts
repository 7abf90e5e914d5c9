import { createServer } from "node:http";
import * as wsModule from "ws";
import { WebSocketServer, type WebSocket } from "ws";
import type { BenchEvent } from "../payload.js";
import { closeServer, listen, maxBufferedBytes, withId, type ContenderInfo, type ContenderServer } from "./contender.js";

interface WsInternals {
  _socket: import("node:net").Socket;
}

type Send = (clients: Set<WebSocket>, json: string, onSlow: (ws: WebSocket) => void) => void;

/** A plain `ws` server; `send` decides how one event reaches every socket. */
async function startRawWs(send: Send): Promise<ContenderServer> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: true, maxPayload: 16_384 });
  wss.on("connection", (ws) => {
    (ws as unknown as WsInternals)._socket.setNoDelay(true);
    ws.on("error", () => {});
  });
  let drops = 0;
  const onSlow = (ws: WebSocket) => {
    drops++;
    ws.terminate();
  };
  const port = await listen(server);
  let seq = 0;
  return {
    port,
    connections: () => wss.clients.size,
    publish(event: BenchEvent) {
      send(wss.clients, withId(JSON.stringify(event), String(++seq)), onSlow);
    },
    drops: () => drops,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await closeServer(server);
    },
  };
}

/** What most code does: `ws.send(string)` for each socket; ws encodes and frames it per socket. */
export const wsNaive: ContenderInfo = {
  name: "ws naive",
  transport: "websocket",
  client: "ws",
  path: "/",
  describe: "ws 8: for each socket ws.send(json string); ws converts and frames per socket",
  start: () =>
    startRawWs((clients, json, onSlow) => {
      for (const ws of clients) {
        ws.send(json);
        if (ws.bufferedAmount > maxBufferedBytes) onSlow(ws);
      }
    }),
};

const frameOptions = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false } as const;
/** ws's frame builder (exported at run time, missing from @types/ws). */
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: typeof frameOptions): Buffer[] } };

/**
 * The practical limit: the frame (header and payload) built once into one Buffer, written as is to
 * every socket: one write per socket per event, nothing else.
 */
export const wsLimit: ContenderInfo = {
  name: "ws limit",
  transport: "websocket",
  client: "ws",
  path: "/",
  limit: true,
  describe: "ws 8 server; one pre-built frame (one Buffer) written to every socket's net.Socket",
  start: () =>
    startRawWs((clients, json, onSlow) => {
      const frame = Buffer.concat(Sender.frame(Buffer.from(json), frameOptions));
      for (const ws of clients) {
        const socket = (ws as unknown as WsInternals)._socket;
        socket.write(frame);
        if (socket.writableLength > maxBufferedBytes) onSlow(ws);
      }
    }),
};

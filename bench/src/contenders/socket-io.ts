import { createServer } from "node:http";
import { Server } from "socket.io";
import { WebSocketServer } from "ws";
import type { BenchEvent } from "../payload.js";
import { closeServer, heartbeatMs, listen, maxBufferedBytes, type ContenderInfo } from "./contender.js";

interface EngineSocketInternals {
  writeBuffer: unknown[];
  transport: { socket?: { bufferedAmount: number; terminate(): void } };
}

/**
 * socket.io 4, WebSocket transport only, compression off, broadcasting with `io.emit` (which encodes
 * once and pre-builds the WebSocket frame). socket.io has no slow-consumer bound of its own, so a
 * sweep every 50 ms applies the common policy: buffered bytes in ws plus engine.io's write queue.
 */
export const socketIo: ContenderInfo = {
  name: "socket.io",
  transport: "websocket",
  client: "socketio",
  path: "/socket.io/?EIO=4&transport=websocket",
  describe: "socket.io 4 (websocket transport only, perMessageDeflate off), io.emit broadcast",
  async start() {
    const server = createServer();
    const io = new Server(server, {
      transports: ["websocket"],
      // The same ws as every other contender (and explicit, so the "import" resolve condition of
      // the test runner cannot hand engine.io ws's ESM wrapper, which has no `Server`).
      wsEngine: WebSocketServer,
      perMessageDeflate: false,
      httpCompression: false,
      serveClient: false,
      pingInterval: heartbeatMs,
      pingTimeout: 20_000,
      maxHttpBufferSize: 16_384,
    });
    io.on("connection", (socket) => {
      (socket.conn as unknown as { transport: { socket?: { _socket?: import("node:net").Socket } } }).transport.socket?._socket?.setNoDelay(true);
    });
    let drops = 0;
    let frameBytes = 0;
    const sweep = setInterval(() => {
      for (const socket of io.of("/").sockets.values()) {
        const conn = socket.conn as unknown as EngineSocketInternals;
        const ws = conn.transport.socket;
        const buffered = (ws?.bufferedAmount ?? 0) + conn.writeBuffer.length * frameBytes;
        if (buffered > maxBufferedBytes) {
          drops++;
          ws?.terminate();
        }
      }
    }, 50);
    const port = await listen(server);
    return {
      port,
      connections: () => io.of("/").sockets.size,
      publish(event: BenchEvent) {
        if (frameBytes === 0) frameBytes = JSON.stringify(event).length + 20;
        io.emit("message", event);
      },
      drops: () => drops,
      async close() {
        clearInterval(sweep);
        io.disconnectSockets(true);
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await closeServer(server).catch(() => {});
      },
    };
  },
};

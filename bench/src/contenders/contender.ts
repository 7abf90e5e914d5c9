import type { Server } from "node:http";
import type { BenchEvent } from "../payload.js";

export type Transport = "websocket" | "sse";

/** How the load generator speaks to a contender. */
export type ClientKind = "ws" | "socketio" | "sse";

/**
 * The slow-consumer policy every contender applies (docs/protocol.md#load-and-bad-input, eventwire's default): a connection
 * whose unsent bytes pass this bound is closed and counted as a drop.
 */
export const maxBufferedBytes = 1 << 20;

/** Keepalive / ping interval, the same for every contender that has one. */
export const heartbeatMs = 15_000;

/** One contender's server, listening on 127.0.0.1. */
export interface ContenderServer {
  readonly port: number;
  /** Open subscriber connections. */
  connections(): number;
  /** Sends one event to every subscriber. */
  publish(event: BenchEvent): void;
  /** Connections closed by the slow-consumer policy so far. */
  drops(): number;
  close(): Promise<void>;
}

export interface ContenderInfo {
  readonly name: string;
  readonly transport: Transport;
  readonly client: ClientKind;
  /** Path the load generator connects to. */
  readonly path: string;
  /** The practical limit of its transport, that everything is compared to. */
  readonly limit?: boolean;
  readonly describe: string;
  start(): Promise<ContenderServer>;
}

/** Listens on an ephemeral loopback port with a deep accept queue (10,000 clients connect at once). */
export function listen(server: Server): Promise<number> {
  server.keepAliveTimeout = 0;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, backlog: 4096 }, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

/** Closes a server and every socket still open on it. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** `{...}` JSON with the stream id appended, byte for byte as eventwire sends it. */
export function withId(json: string, id: string): string {
  return `${json.slice(0, -1)},"id":"${id}"}`;
}

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";

const guarded = new WeakSet<object>();

/**
 * Closes the sockets of upgrade requests that no one else will (docs/protocol.md#load-and-bad-input).
 *
 * Node hands the socket of every request with an `Upgrade` header (any method, any protocol) to the
 * `upgrade` listeners and stops managing it: no HTTP parser, no keep-alive timeout, and `allowHalfOpen`,
 * so a client that leaves leaves it half open. `@fastify/websocket` routes such a request through
 * Fastify and relies on Fastify's `onResponse` hook to destroy the socket, but Fastify answers some
 * requests without running hooks: a target it cannot decode (400 `FST_ERR_BAD_URL`, `GET /events/%`),
 * a parameter over `maxParamLength` (414), a request on an open connection while the app closes (503).
 * Each such socket stayed open for good, even after its client had gone, and `app.close()` waited for
 * it forever. Here, until `ws` upgrades it:
 *
 * - the client's end (it left) destroys the socket;
 * - `app.close()` destroys the ones still waiting (its `preClose`), so it does not wait on a client
 *   that stays.
 *
 * Once per server, whoever registered `@fastify/websocket`; our listener is put first so it sees every
 * upgrade before `@fastify/websocket` routes it.
 */
export function guardUpgradeSockets(app: FastifyInstance): void {
  const server = app.server;
  if (guarded.has(server)) return;
  guarded.add(server);
  /** Upgrade requests not upgraded yet, each with the function that lets go of its socket. */
  const pending = new Map<IncomingMessage, { socket: Duplex; forget(): void }>();

  server.prependListener("upgrade", (request: IncomingMessage, socket: Duplex) => {
    const leave = () => socket.destroy();
    const forget = () => {
      pending.delete(request);
      socket.off("end", leave);
      socket.off("close", forget);
    };
    pending.set(request, { socket, forget });
    socket.once("end", leave);
    socket.once("close", forget);
  });
  // `ws` owns an upgraded socket (and its end) from here on.
  app.websocketServer.on("connection", (_ws: unknown, request: IncomingMessage) => pending.get(request)?.forget());
  app.addHook("preClose", (done) => {
    for (const { socket } of pending.values()) socket.destroy();
    done();
  });
}

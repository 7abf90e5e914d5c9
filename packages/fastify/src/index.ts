import type { Hub } from "@eventwire/core";
import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler, RegisterOptions } from "fastify";
import fp from "fastify-plugin";
import { guardUpgradeSockets } from "./upgrade-sockets.js";

/** Options of `app.register(eventwire, options)`. */
export interface EventwireFastifyOptions {
  /** The hub this route serves (from `createHub`). Required. */
  hub: Hub;
  /**
   * The stream's path: SSE on GET, WebSocket on a GET with `Upgrade: websocket`, a CORS preflight
   * on OPTIONS (docs/protocol.md#wire-protocol). Relative to `prefix` and to the prefix of the context you register in.
   * Default `"/events"`.
   */
  path?: string;
  /**
   * A prefix for the route, as `register`'s own `prefix` option: `{ hub, prefix: "/api" }` serves
   * `/api/events`. Fastify ignores `prefix` on plugins wrapped with `fastify-plugin` (this one is,
   * so that `app.eventwire` is visible to its parent), so the plugin applies it itself.
   * Default: none (the registering context's prefix still applies).
   */
  prefix?: string;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The hub served by `@eventwire/fastify`, in the context it was registered in and its children. */
    eventwire: Hub;
  }
}

const forbiddenOrigin = JSON.stringify({ error: "forbidden_origin", message: "this origin may not open a stream" });

async function eventwirePlugin(app: FastifyInstance, options: EventwireFastifyOptions & RegisterOptions): Promise<void> {
  const { hub, path = "/events", prefix, logLevel, logSerializers } = validate(options);
  app.decorate("eventwire", hub);
  // Ends every SSE stream and closes every WebSocket with 1001 (docs/protocol.md#shutdown) before the server waits for
  // its connections to finish, so `app.close()` does not hang on open streams.
  app.addHook("preClose", async () => {
    await hub.close();
  });
  // Registered here unless the app already did, with the hub's limits on what clients send (docs/protocol.md#load-and-bad-input).
  if (!app.hasDecorator("websocketServer")) {
    await app.register(websocket, {
      options: hub.wsServerOptions,
      // A protocol error (too large, bad UTF-8) already has `ws` closing the socket with its code
      // (1009, 1007); the default handler's terminate() would cut that close frame off.
      errorHandler: (error, _socket, request) => request.log.debug({ err: error }, "eventwire: WebSocket protocol error"),
    });
  }
  guardUpgradeSockets(app);

  // Fastify's own "plugin in a plugin" way to give a fastify-plugin's routes a prefix.
  await app.register(
    async (routes) => {
      // A foreign Origin must be refused in the handshake, before the upgrade (docs/protocol.md#sessions-scopes-and-authorization); SSE
      // requests are left to the hub, which answers 403 with CORS headers itself.
      const refuseForeignOrigin: onRequestHookHandler = (request, reply, done) => {
        if (request.ws && !hub.originAllowed(request.headers.origin)) {
          reply.code(403).type("application/json; charset=utf-8").send(forbiddenOrigin);
          return;
        }
        done();
      };
      const serveSse = (request: FastifyRequest, reply: FastifyReply) => {
        reply.hijack();
        hub.sse(request.raw, reply.raw).catch((error: unknown) => {
          request.log.error({ err: error }, "eventwire: the stream failed to open");
          reply.raw.destroy();
        });
      };
      routes.route({
        method: "GET",
        url: path,
        exposeHeadRoute: false,
        onRequest: refuseForeignOrigin,
        // An upgrade refused by a hook that ran before @fastify/websocket's own (an app's auth hook,
        // say) would keep its socket open, and `app.close()` would wait for it: end it.
        onResponse: (request, _reply, done) => {
          if (request.raw.headers.upgrade !== undefined) request.raw.socket?.destroy();
          done();
        },
        handler: serveSse,
        wsHandler: (socket, request) => {
          // The hub owns this socket and closes it with 1001 at shutdown: keep @fastify/websocket's
          // default preClose, which closes every tracked client without a code, away from it.
          routes.websocketServer.clients?.delete(socket);
          hub.ws(socket, { request: request.raw });
        },
      });
      routes.options(path, serveSse);
    },
    // `logLevel` and `logSerializers`, also ignored on a fastify-plugin, apply to the route as usual.
    { prefix, logLevel, logSerializers },
  );
}

function validate<T extends EventwireFastifyOptions>(options: T): T {
  const hub = (options as Partial<EventwireFastifyOptions> | undefined)?.hub;
  if (typeof hub !== "object" || hub === null || typeof hub.sse !== "function" || typeof hub.ws !== "function") {
    throw new TypeError("@eventwire/fastify: options.hub is required: app.register(eventwire, { hub: createHub() })");
  }
  if (options.path !== undefined && (typeof options.path !== "string" || !options.path.startsWith("/"))) {
    throw new TypeError(`@eventwire/fastify: options.path must be a string starting with "/", got ${JSON.stringify(options.path)}`);
  }
  if (options.prefix !== undefined && typeof options.prefix !== "string") {
    throw new TypeError(`@eventwire/fastify: options.prefix must be a string, got ${JSON.stringify(options.prefix)}`);
  }
  return options;
}

/**
 * Serves a hub's SSE and WebSocket streams on one path (its README shows how):
 * `await app.register(eventwire, { hub, path: "/events" })`. Registers `@fastify/websocket` unless
 * the app already has it, decorates the app with `app.eventwire` (the hub), and closes the hub's
 * connections when the app closes.
 */
export const eventwire: FastifyPluginAsync<EventwireFastifyOptions> = fp(eventwirePlugin, { name: "@eventwire/fastify", fastify: "5.x" });
export default eventwire;

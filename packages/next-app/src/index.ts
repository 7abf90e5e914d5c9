import { requestFromWeb, sseResponse, type Hub } from "@eventwire/core";

/** One hub per process and key, kept on `globalThis` across dev reloads (from `@eventwire/core`). */
export { globalHub } from "@eventwire/core";

/** A hub, or a function returning it: called per request, so the hub can be made on first use, or swapped. */
export type HubSource = Hub | (() => Hub);

export interface EventwireAppOptions {
  /**
   * The client's address for `authorize` (`request.remoteAddress`). A route handler's `Request`
   * carries no socket; Next fills `X-Forwarded-For` with the socket's address when the request
   * has none. Default: that header's first address. A client can send its own `X-Forwarded-For`
   * unless a proxy or platform you trust (Vercel's, nginx's) sets it: do not trust it otherwise.
   */
  remoteAddress?: (request: Request) => string | undefined;
}

/** An App-router route handler, as `app/**\/route.ts` exports it. */
export type RouteHandler = (request: Request) => Promise<Response>;

/** The handlers `export const { GET, OPTIONS } = eventwire(hub)` takes. */
export interface EventwireRouteHandlers {
  /** Streams SSE; answers a WebSocket upgrade with 501 (App-router routes cannot upgrade). */
  GET: RouteHandler;
  /** Answers a CORS preflight. */
  OPTIONS: RouteHandler;
}

const websocketUnavailable = JSON.stringify({
  error: "websocket_unavailable",
  message: "a Next.js App-router route cannot upgrade to WebSocket: use SSE, or serve WebSockets from a custom server (see @eventwire/next-app's README)",
});

/**
 * The route handlers serving `hub` from `app/api/events/route.ts`
 * (docs/protocol.md#runtimes-and-platforms): `export const { GET, OPTIONS } = eventwire(hub)`. A GET streams SSE on a Web
 * `ReadableStream` (core's `sseResponse`; the protocol is core's), OPTIONS answers CORS preflights.
 * Next routes other methods to no handler here and answers them 405 itself.
 *
 * @throws TypeError when `hub` is neither a hub nor a function, or `remoteAddress` not a function.
 */
export function eventwire(hub: HubSource, options: EventwireAppOptions = {}): EventwireRouteHandlers {
  if (typeof hub !== "function" && (typeof hub !== "object" || hub === null || typeof hub.admit !== "function")) {
    throw new TypeError("@eventwire/next-app: eventwire(hub) needs a hub from createHub(), or a function returning one");
  }
  const { remoteAddress = forwardedFor } = options;
  if (remoteAddress !== undefined && typeof remoteAddress !== "function") {
    throw new TypeError("@eventwire/next-app: options.remoteAddress must be a function (request) => string | undefined");
  }
  const hubOf = typeof hub === "function" ? hub : () => hub;
  const handle: RouteHandler = async (request) => {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return new Response(websocketUnavailable, { status: 501, headers: { "content-type": "application/json" } });
    }
    // The request's signal: a client that leaves while `authorize` runs leaves nothing behind.
    return sseResponse(hubOf(), requestFromWeb(request, { remoteAddress: remoteAddress(request) }), {}, request.signal);
  };
  return { GET: handle, OPTIONS: handle };
}

function forwardedFor(request: Request): string | undefined {
  return request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || undefined;
}

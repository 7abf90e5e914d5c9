import { Refusal, type EventwireRequest } from "../authorize.js";
import { corsHeaders, preflightHeaders } from "../cors.js";
import type { Hub } from "../hub.js";
import type { StreamOptions } from "../query.js";
import { sseHeaders } from "../sse/encode.js";
import { WebSseSink } from "../sse/web-sink.js";

/** The neutral request of a Web `Request`: `url` keeps only path and query, as a client sent them. */
export function requestFromWeb(request: Request, extra: { remoteAddress?: string; raw?: unknown } = {}): EventwireRequest {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { method: request.method, url: url.pathname + url.search, headers, remoteAddress: extra.remoteAddress, raw: extra.raw ?? request };
}

/**
 * Serves one SSE stream as a Web `Response` whose body is a `ReadableStream`: for Hono and any
 * runtime built on the Fetch API. Refusals are JSON responses with the protocol's status codes
 * (docs/protocol.md#refusal-and-close-codes).
 *
 * `signal` is the request's (`request.signal`): a client that leaves while `authorize` runs gets
 * no stream, and one that leaves later ends its stream, even where the runtime never reads or
 * cancels the body it was handed (a HEAD, a response written to a socket already gone).
 */
export async function sseResponse(hub: Hub, request: EventwireRequest, options: StreamOptions = {}, signal?: AbortSignal): Promise<Response> {
  const { allowedOrigins } = hub.options;
  const origin = request.headers.origin;
  if (request.method === "OPTIONS") {
    return new Response(null, { status: 204, headers: preflightHeaders(allowedOrigins, origin, request.headers["access-control-request-headers"]) });
  }
  const cors = corsHeaders(allowedOrigins, origin);
  const result = await hub.admit(request, options);
  if (result instanceof Refusal) {
    return new Response(result.body, { status: result.status, headers: { ...result.headers(hub.options.retryMs), ...cors } });
  }
  // Nobody is left to read a stream: none opens, none is counted.
  if (signal?.aborted) return new Response(null, { status: 204 });
  const sink = new WebSseSink();
  if (signal) {
    const hangUp = () => sink.destroy();
    signal.addEventListener("abort", hangUp, { once: true });
    sink.onClose(() => signal.removeEventListener("abort", hangUp));
  }
  hub.openSse(sink, result);
  return new Response(sink.stream, { status: 200, headers: { ...sseHeaders, ...cors } });
}

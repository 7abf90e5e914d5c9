import type { IncomingMessage } from "node:http";
import type { EventwireRequest } from "../authorize.js";

/**
 * The neutral request of a Node request. `url` is what the client sent: Express rewrites `req.url`
 * under a mounted router, and keeps the original in `originalUrl`.
 */
export function requestFromNode(request: IncomingMessage): EventwireRequest {
  return {
    method: request.method ?? "GET",
    url: (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? "/",
    headers: request.headers,
    remoteAddress: request.socket?.remoteAddress,
    raw: request,
  };
}

export function isNodeRequest(value: unknown): value is IncomingMessage {
  return typeof value === "object" && value !== null && "socket" in value && "httpVersion" in value;
}

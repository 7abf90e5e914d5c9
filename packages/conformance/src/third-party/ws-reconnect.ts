import ReconnectingWebSocket from "partysocket/ws";
import { WebSocket } from "ws";

import type { ThirdPartyClient } from "./clients.js";

/**
 * The recipe of the client's README for a WebSocket reconnect library (`partysocket` here): its URL
 * is a function, called for every attempt, that puts the id of the last event received in
 * `lastEventId` (over any the URL had), so each reconnect resumes exactly where the last connection
 * stopped. On Node it gets `ws` as its WebSocket; the reconnect delays are short for the tests (its
 * defaults are 1 to 10 s).
 */
export function partysocketResuming(url: string): ThirdPartyClient {
  const received: Record<string, unknown>[] = [];
  let last: string | undefined;
  const withLastId = () => {
    const next = new URL(url);
    if (last !== undefined) next.searchParams.set("lastEventId", last);
    return next.href;
  };
  const socket = new ReconnectingWebSocket(withLastId, [], { WebSocket, minReconnectionDelay: 50, maxReconnectionDelay: 200 });
  socket.onmessage = (message: { data: unknown }) => {
    const event = JSON.parse(String(message.data)) as Record<string, unknown>;
    received.push(event);
    if (typeof event.id === "string") last = event.id;
  };
  return { received, close: () => socket.close() };
}

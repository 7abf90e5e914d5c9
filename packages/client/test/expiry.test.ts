import { createEventStream, type EventStream } from "@eventwire/client";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startHubServer, type HubServer } from "./helpers/hub-server.js";
import { recordStatuses, statusReached, waitFor } from "./helpers/wait-for.js";

interface TickEvents {
  tick: { n: number };
}

// Each token is good for about 400 ms (the grant's expiresAt): the hub ends the stream then
// (WebSocket 4419, SSE ended with `: reconnect`) and the client must come back at once with a fresh
// token from its headers function, resuming from its last id. Its backoff (and the SSE `retry:`
// hint) is seconds here, so a client that waited it out would not make the refreshes in time.
describe.each(["websocket", "sse"] as const)("expired credentials (expiresAt) over %s", (transport) => {
  let server: HubServer | undefined;
  const streams: EventStream<TickEvents>[] = [];
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await server?.close();
    server = undefined;
  });

  it("refreshes the token at once and resumes from its last id, losing and repeating nothing", async () => {
    const tokens: string[] = [];
    server = await startHubServer({
      retryMs: 5_000,
      authorize: (request) => (tokens.push(String(request.headers.authorization)), { expiresAt: Date.now() + 400 }),
    });
    let issued = 0;
    const stream = createEventStream<TickEvents>({
      url: server.url,
      transport,
      WebSocket,
      reconnect: { initialDelayMs: 5_000, maxDelayMs: 20_000 },
      headers: async () => ({ authorization: `Bearer token-${issued++}` }),
    });
    streams.push(stream);
    const statuses = recordStatuses(stream);
    const received: number[] = [];
    stream.on("tick", (e) => received.push(e.n));
    const errors: string[] = [];
    stream.onStatus((status, error) => void (status === "reconnecting" && errors.push(`${error?.code}:${error?.message}`)));
    const connections = () => statuses.filter((s) => s === "connected").length;

    await waitFor(() => connections() === 1, "the first connection");
    let published = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await server!.hub.publish({ event: "tick", n: published++ });
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
    await waitFor(() => connections() >= 4, "4 connections, each ended when its token expired", 8_000);
    publishing = false;
    await publisher;
    await waitFor(() => received.length === published, `all ${published} events (have ${received.length}: ${received.join(",")}; statuses ${statuses.join(",")}; errors ${errors.join(",")})`);

    expect(received).toEqual(Array.from({ length: published }, (_, n) => n));
    // One authorize per connection, each with the fresh token of its own attempt.
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it("stops when the refreshed credentials are refused (401 / 4401)", async () => {
    let attempts = 0;
    server = await startHubServer({ retryMs: 5_000, authorize: () => (attempts++ === 0 ? { expiresAt: Date.now() + 150 } : false) });
    const stream = createEventStream<TickEvents>({ url: server.url, transport, WebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 50 } });
    streams.push(stream);
    await statusReached(stream, "error", 5_000);
    expect(stream.status).toBe("error");
    expect(attempts).toBe(2);
  });
});

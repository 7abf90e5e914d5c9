import { createEventStream, type EventStream } from "@eventwire/client";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startHubServer, type HubServer } from "./helpers/hub-server.js";
import { recordStatuses, waitFor } from "./helpers/wait-for.js";

interface TickEvents {
  tick: { n: number };
}

// A hub with maxStreamMs ends every stream after about 150 ms (WebSocket 1012, SSE ended with
// `: reconnect`). The client must come back at once: its backoff (and the SSE `retry:` hint) is
// seconds here, so a client that waited it out would not make the rotations before the deadline.
describe.each(["websocket", "sse"] as const)("rotated streams (maxStreamMs) over %s", (transport) => {
  let server: HubServer | undefined;
  const streams: EventStream<TickEvents>[] = [];
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await server?.close();
    server = undefined;
  });

  it("reconnects at once with fresh headers and resumes from its last id, losing and repeating nothing", async () => {
    const tokens: string[] = [];
    server = await startHubServer({
      maxStreamMs: 150,
      retryMs: 5_000,
      authorize: (request) => (tokens.push(String(request.headers.authorization)), true),
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
    const errors: string[] = [];
    stream.on("tick", (e) => received.push(e.n));
    stream.onStatus((status, error) => void (status === "reconnecting" && errors.push(error?.code ?? "")));
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
    await waitFor(() => connections() >= 8, "8 connections, each rotated after about 150 ms", 8_000);
    publishing = false;
    await publisher;
    await waitFor(() => received.length === published, `all ${published} events (have ${received.length})`).catch((error) => {
      const missing = Array.from({ length: published }, (_, n) => n).filter((n) => !received.includes(n));
      throw new Error(`${error.message}; missing ${missing.join(",")}; dupes ${received.length - new Set(received).size}; connections ${connections()}`);
    });

    expect(received).toEqual(Array.from({ length: published }, (_, n) => n));
    expect(new Set(errors)).toEqual(new Set(["stream_rotated"]));
    // One authorize per connection, each with the token of its own attempt.
    expect(tokens.length).toBeGreaterThanOrEqual(8);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens[0]).toBe("Bearer token-0");
  });
});

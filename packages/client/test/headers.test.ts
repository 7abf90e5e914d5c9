import { createEventStream, type EventStream } from "@eventwire/client";
import type { EventwireRequest } from "@eventwire/core";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startHubServer, type HubServer } from "./helpers/hub-server.js";
import { statusReached, waitFor } from "./helpers/wait-for.js";

interface Attempt {
  authorization: string | undefined;
  lastEventIdHeader: string | undefined;
  lastEventIdQuery: string | null;
}

describe("request headers", () => {
  let server: HubServer | undefined;
  const streams: Pick<EventStream<object>, "close">[] = [];
  const attempts: Attempt[] = [];

  /** A hub that accepts only the newest token it issued, as after a token refresh. */
  const startAuthServer = async (currentToken: () => string) => {
    server = await startHubServer({
      authorize: (request: EventwireRequest) => {
        const header = request.headers["last-event-id"];
        attempts.push({
          authorization: request.headers.authorization as string | undefined,
          lastEventIdHeader: typeof header === "string" ? header : undefined,
          lastEventIdQuery: new URL(request.url, "http://x").searchParams.get("lastEventId"),
        });
        return request.headers.authorization === `Bearer ${currentToken()}`;
      },
    });
    return server;
  };

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await server?.close();
    server = undefined;
    attempts.length = 0;
  });

  it.each(["sse", "websocket"] as const)(
    "calls an async headers function before every %s attempt, so a reconnect carries a fresh token and the resume point",
    async (transport) => {
      let issued = 0;
      const hub = (await startAuthServer(() => `t${issued}`)).hub;
      const stream = createEventStream<{ tick: { n: number } }>({
        url: server!.url,
        transport,
        // The `ws` package takes { headers } as its third argument; browsers cannot set them.
        WebSocket,
        reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
        headers: async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          issued++;
          return { Authorization: `Bearer t${issued}` };
        },
      });
      streams.push(stream);
      const received: number[] = [];
      stream.on("tick", (e) => received.push(e.n));
      await statusReached(stream, "connected");
      const first = await hub.publish({ event: "tick", n: 1 });
      await waitFor(() => received.length === 1, "the first event");

      server!.drop();
      await hub.publish({ event: "tick", n: 2 });
      await waitFor(() => received.length === 2, "the event published during the reconnect");

      expect(received).toEqual([1, 2]);
      expect(issued).toBe(2);
      expect(attempts).toEqual([
        { authorization: "Bearer t1", lastEventIdHeader: undefined, lastEventIdQuery: null },
        {
          authorization: "Bearer t2",
          // SSE sends Last-Event-ID too (docs/protocol.md#wire-protocol); the query parameter works on both transports.
          lastEventIdHeader: transport === "sse" ? first : undefined,
          lastEventIdQuery: first,
        },
      ]);
    },
  );

  it("sends a headers object as is", async () => {
    await startAuthServer(() => "static");
    const stream = createEventStream({ url: server!.url, transport: "sse", headers: { authorization: "Bearer static" } });
    streams.push(stream);
    await statusReached(stream, "connected");
    expect(attempts.map((a) => a.authorization)).toEqual(["Bearer static"]);
  });

  it("retries when the headers function fails (a token service briefly down)", async () => {
    await startAuthServer(() => "ok");
    let calls = 0;
    const stream = createEventStream({
      url: server!.url,
      transport: "sse",
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
      headers: async () => {
        calls++;
        if (calls === 1) throw new Error("token service unavailable");
        return { authorization: "Bearer ok" };
      },
    });
    streams.push(stream);
    const errors: (string | undefined)[] = [];
    stream.onStatus((status, error) => errors.push(`${status}:${error?.message ?? ""}`));
    await statusReached(stream, "connected");
    expect(calls).toBe(2);
    expect(errors).toEqual([
      "connecting:",
      "reconnecting:the SSE request failed: token service unavailable",
      "connected:",
    ]);
  });
});

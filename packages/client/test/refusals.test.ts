import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createEventStream, type EventStream, type EventStreamError } from "@eventwire/client";
import type { HubOptions } from "@eventwire/core";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startHubServer, type HubServer } from "./helpers/hub-server.js";
import { recordStatuses, statusReached } from "./helpers/wait-for.js";

const transports = ["websocket", "sse"] as const;

const refusals: [string, HubOptions["authorize"], { session?: string; events?: string[] }, number, number, string][] = [
  ["unauthenticated (authorize returns false)", () => false, {}, 401, 4401, "unauthenticated"],
  ["a session it may not see", () => ({ sessions: ["CA_1"] }), { session: "CA_2" }, 403, 4403, "forbidden"],
  ["a malformed events filter", () => true, { events: ["call started"] }, 400, 4400, "bad_request"],
];

describe.each(transports)("refusals over %s", (transport) => {
  let server: HubServer | undefined;
  const streams: Pick<EventStream<object>, "close">[] = [];

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await server?.close();
    server = undefined;
  });

  it.each(refusals)("stops on %s, with the server's code, and never retries", async (_, authorize, query, status, closeCode, code) => {
    let attempts = 0;
    server = await startHubServer({
      authorize: (request) => {
        attempts++;
        return typeof authorize === "function" ? authorize(request) : authorize!;
      },
    });
    const stream = createEventStream({
      url: server.url,
      transport,
      WebSocket,
      reconnect: { initialDelayMs: 5, maxDelayMs: 10 },
      ...query,
    });
    streams.push(stream);
    const statuses = recordStatuses(stream);
    const sent = transport === "websocket" ? stream.send({ action: "ping" }) : undefined;
    await statusReached(stream, "error");

    expect(statuses).toEqual(["connecting", "error"]);
    const error = stream.error!;
    expect([error.name, error.code]).toEqual(["EventStreamError", code]);
    if (transport === "sse") expect([error.status, error.closeCode]).toEqual([status, undefined]);
    else expect([error.status, error.closeCode]).toEqual([undefined, closeCode]);
    // A message waiting for the connection is rejected with the same error.
    if (sent) await expect(sent).rejects.toBe(error);

    // Proving a negative takes time: with 5-10 ms backoff, a retry would have come many times over.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(attempts).toBe(1);
    expect(stream.status).toBe("error");
  });

  it("ends for await with the refusal", async () => {
    server = await startHubServer({ authorize: () => false });
    const stream = createEventStream({ url: server.url, transport, WebSocket });
    streams.push(stream);
    const caught = await (async () => {
      try {
        for await (const _ of stream) {
          // none arrive
        }
        return undefined;
      } catch (error) {
        return error as EventStreamError;
      }
    })();
    expect(caught?.code).toBe("unauthenticated");
    expect(caught).toBe(stream.error);
  });
});

describe("SSE 204 No Content", () => {
  it("ends the stream as closed, without retrying", async () => {
    let requests = 0;
    const server = createServer((_, response) => {
      requests++;
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const stream = createEventStream({
        url: `http://127.0.0.1:${port}/events`,
        transport: "sse",
        reconnect: { initialDelayMs: 5, maxDelayMs: 10 },
      });
      const statuses = recordStatuses(stream);
      await statusReached(stream, "closed");
      expect(statuses).toEqual(["connecting", "closed"]);
      expect([stream.error?.code, stream.error?.status]).toEqual(["no_content", 204]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(requests).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each([
    [404, "not_found"],
    [410, "gone"],
  ])("stops on %d: the url serves no stream, and no retry would fix that", async (status, code) => {
    let requests = 0;
    const server = createServer((_, response) => {
      requests++;
      response.writeHead(status, { "content-type": "text/plain" }).end("no stream here");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const stream = createEventStream({
        url: `http://127.0.0.1:${port}/no-such-path`,
        transport: "sse",
        reconnect: { initialDelayMs: 5, maxDelayMs: 10 },
      });
      const statuses = recordStatuses(stream);
      await statusReached(stream, "error");
      expect(statuses).toEqual(["connecting", "error"]);
      expect([stream.error?.code, stream.error?.status]).toEqual([code, status]);
      // With 5-10 ms backoff, a retry would have come many times over.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect([requests, stream.status]).toEqual([1, "error"]);
      stream.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("treats a 200 that is not text/event-stream as a misconfigured url, like EventSource", async () => {
    const server = createServer((_, response) => {
      response.writeHead(200, { "content-type": "text/html" }).end("<html>login</html>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const stream = createEventStream({ url: `http://127.0.0.1:${port}/events`, transport: "sse" });
      await statusReached(stream, "error");
      expect(stream.error?.code).toBe("bad_content_type");
      expect(stream.error?.message).toBe("expected text/event-stream, got text/html: is the url an Eventwire endpoint?");
      stream.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

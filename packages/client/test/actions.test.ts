import { createEventStream, EventStreamError, type EventStream } from "@eventwire/client";
import { ActionError } from "@eventwire/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startHubServer, type HubServer } from "./helpers/hub-server.js";
import { statusReached, waitFor } from "./helpers/wait-for.js";

describe("actions over WebSocket", () => {
  let server: HubServer;
  let stream: EventStream<{ greeting: { to: string } }>;
  let slowCalls = 0;

  beforeEach(async () => {
    server = await startHubServer();
    slowCalls = 0;
    server.hub.action("add", (message) => (message.a as number) + (message.b as number));
    server.hub.action("quota", () => {
      throw new ActionError("over_quota", "10 calls a day");
    });
    server.hub.action("boom", () => {
      throw new Error("kaput");
    });
    server.hub.action("slow", () => {
      slowCalls++;
      return new Promise(() => {});
    });
    server.hub.action("hello", (message, ctx) => {
      ctx.send({ event: "greeting", to: String(message.name) });
      return "sent";
    });
    stream = createEventStream({ url: server.url, WebSocket });
  });

  afterEach(async () => {
    stream.close();
    await server.close();
  });

  it("answers ping with pong: send resolves, and the pong reaches on('pong') with its ref", async () => {
    const pongs: unknown[] = [];
    stream.on("pong", (e) => pongs.push(e));
    await statusReached(stream, "connected");
    await expect(stream.send({ action: "ping" })).resolves.toBeUndefined();
    await expect(stream.send({ action: "ping", ref: 42 })).resolves.toBeUndefined();
    expect(pongs).toEqual([
      { event: "pong", ref: "ew-1" },
      { event: "pong", ref: 42 },
    ]);
  });

  it("resolves with the ack's result and shows the ack to listeners", async () => {
    const acks: unknown[] = [];
    stream.on("ack", (e) => acks.push(e));
    await expect(stream.send<number>({ action: "add", a: 2, b: 3 })).resolves.toBe(5);
    await expect(stream.send({ action: "add", a: 1, b: 1, ref: "mine" })).resolves.toBe(2);
    expect(acks).toEqual([
      { event: "ack", ref: "ew-1", result: 5 },
      { event: "ack", ref: "mine", result: 2 },
    ]);
  });

  it("queues messages sent before the connection opens, in order", async () => {
    const fresh = createEventStream({ url: server.url, WebSocket });
    try {
      expect(fresh.status).toBe("idle");
      const results = await Promise.all([
        fresh.send({ action: "add", a: 1, b: 0 }),
        fresh.send({ action: "add", a: 2, b: 0 }),
        fresh.send({ action: "add", a: 3, b: 0 }),
      ]);
      expect(results).toEqual([1, 2, 3]);
    } finally {
      fresh.close();
    }
  });

  it("rejects with an EventStreamError carrying the server's code and the ref", async () => {
    const errors: unknown[] = [];
    stream.on("error", (e) => errors.push(e));
    const quota = await stream.send({ action: "quota" }).catch((error: unknown) => error);
    expect(quota).toBeInstanceOf(EventStreamError);
    expect(quota).toMatchObject({ code: "over_quota", message: "10 calls a day", ref: "ew-1" });
    await expect(stream.send({ action: "boom" })).rejects.toMatchObject({ code: "action_failed", message: "kaput" });
    await expect(stream.send({ action: "nope" })).rejects.toMatchObject({
      code: "unknown_action",
      message: 'no action named "nope"',
    });
    expect(errors).toEqual([
      { event: "error", ref: "ew-1", code: "over_quota", message: "10 calls a day" },
      { event: "error", ref: "ew-2", code: "action_failed", message: "kaput" },
      { event: "error", ref: "ew-3", code: "unknown_action", message: 'no action named "nope"' },
    ]);
  });

  it("delivers what a handler sends to its connection (ctx.send), beside the ack", async () => {
    const greetings: unknown[] = [];
    stream.on("greeting", (e) => greetings.push(e));
    await expect(stream.send({ action: "hello", name: "ada" })).resolves.toBe("sent");
    expect(greetings).toEqual([{ event: "greeting", to: "ada" }]);
  });

  it("rejects with connection_lost when the connection drops before the answer, and keeps streaming", async () => {
    await statusReached(stream, "connected");
    const pending = stream.send({ action: "slow" });
    await waitFor(() => slowCalls === 1, "the handler to start");
    server.drop();
    await expect(pending).rejects.toMatchObject({ code: "connection_lost", ref: "ew-1" });
    await statusReached(stream, "connected");
    await expect(stream.send<number>({ action: "add", a: 1, b: 2 })).resolves.toBe(3);
  });

  it("rejects pending and later sends with closed once the stream is closed", async () => {
    await statusReached(stream, "connected");
    const pending = stream.send({ action: "slow" });
    await waitFor(() => slowCalls === 1, "the handler to start");
    stream.close();
    await expect(pending).rejects.toMatchObject({ code: "closed" });
    await expect(stream.send({ action: "ping" })).rejects.toMatchObject({ code: "closed" });
  });

  it("refuses a second message with a ref still waiting for its reply", async () => {
    await statusReached(stream, "connected");
    void stream.send({ action: "slow", ref: "r" });
    await expect(stream.send({ action: "ping", ref: "r" })).rejects.toMatchObject({ code: "duplicate_ref" });
  });
});

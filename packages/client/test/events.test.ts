import { createEventStream, type AnyEvent, type EventStream, type EventStreamOptions } from "@eventwire/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startHubServer, type HubServer } from "./helpers/hub-server.js";
import { recordStatuses, statusReached, waitFor } from "./helpers/wait-for.js";

interface AgentEvents {
  "call.started": { callId: string; from: string };
  "bot.word": { callId: string; word: string };
  "call.ended": { callId: string; reason: string };
  "llm.tool_result": { callId: string; name: string };
}

const transports = ["websocket", "sse"] as const;

describe.each(transports)("events over %s", (transport) => {
  let server: HubServer;
  const streams: EventStream<AgentEvents>[] = [];

  const open = (options: Partial<EventStreamOptions<AgentEvents>> = {}): EventStream<AgentEvents> => {
    const stream = createEventStream<AgentEvents>({ url: server.url, transport, WebSocket, ...options });
    streams.push(stream);
    return stream;
  };

  /** Publishes a call of two words, in order. */
  const publishCall = async (callId: string) => {
    await server.hub.publish({ event: "call.started", callId, from: "+1234" });
    await server.hub.publish({ event: "bot.word", callId, word: "hello" });
    await server.hub.publish({ event: "llm.tool_result", callId, name: "lookup" });
    await server.hub.publish({ event: "bot.word", callId, word: "there" });
    await server.hub.publish({ event: "call.ended", callId, reason: "hangup" });
  };

  beforeEach(async () => {
    server = await startHubServer({ sessionKey: "callId", optIn: ["llm.tool_result"] });
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await server.close();
  });

  it("delivers events by name and to '*', with ids, and goes idle -> connecting -> connected -> closed", async () => {
    const stream = open();
    const statuses = recordStatuses(stream);
    expect(stream.status).toBe("idle");
    const words: string[] = [];
    const all: string[] = [];
    stream.on("bot.word", (e) => words.push(e.word));
    stream.on("*", (e) => all.push(e.event));
    await statusReached(stream, "connected");

    await publishCall("CA_1");
    await waitFor(() => all.length === 4, "4 events");
    expect(words).toEqual(["hello", "there"]);
    // llm.tool_result is opt-in (docs/protocol.md#events-and-publishing): not sent without `include`.
    expect(all).toEqual(["call.started", "bot.word", "bot.word", "call.ended"]);
    const lastId = await server.hub.publish({ event: "call.started", callId: "CA_2", from: "+5" });
    await waitFor(() => stream.lastEventId === lastId, "lastEventId to follow the stream");

    stream.close();
    expect(statuses).toEqual(["connecting", "connected", "closed"]);
    expect(stream.status).toBe("closed");
  });

  it("gives listeners the published object plus its id; unsubscribing stops one listener only", async () => {
    const stream = open();
    const first: unknown[] = [];
    const second: unknown[] = [];
    const off = stream.on("call.started", (e) => first.push(e));
    stream.on("call.started", (e) => second.push(e));
    await statusReached(stream, "connected");
    const id1 = await server.hub.publish({ event: "call.started", callId: "CA_1", from: "+1" });
    await waitFor(() => second.length === 1, "the first event");
    off();
    const id2 = await server.hub.publish({ event: "call.started", callId: "CA_2", from: "+2" });
    await waitFor(() => second.length === 2, "the second event");
    expect(first).toEqual([{ event: "call.started", callId: "CA_1", from: "+1", id: id1 }]);
    expect(second).toEqual([
      { event: "call.started", callId: "CA_1", from: "+1", id: id1 },
      { event: "call.started", callId: "CA_2", from: "+2", id: id2 },
    ]);
  });

  it("scopes to a session, filters by name prefix and receives opt-in events it includes", async () => {
    const stream = open({ session: "CA_2", events: ["call.*", "llm.tool_result"], include: ["llm.tool_result"] });
    const seen: string[] = [];
    stream.on("*", (e) => seen.push(`${e.event}:${"callId" in e ? e.callId : ""}`));
    await statusReached(stream, "connected");
    await publishCall("CA_1");
    await publishCall("CA_2");
    await waitFor(() => seen.length === 3, "CA_2's call events");
    expect(seen).toEqual(["call.started:CA_2", "llm.tool_result:CA_2", "call.ended:CA_2"]);
  });

  it("resumes from a saved lastEventId, replaying only what came after it", async () => {
    await server.hub.publish({ event: "bot.word", callId: "CA_1", word: "one" });
    const saved = await server.hub.publish({ event: "bot.word", callId: "CA_1", word: "two" });
    await server.hub.publish({ event: "bot.word", callId: "CA_1", word: "three" });
    const stream = open({ lastEventId: saved });
    const words: string[] = [];
    stream.on("bot.word", (e) => words.push(e.word));
    await waitFor(() => words.length === 1, "the replay");
    await server.hub.publish({ event: "bot.word", callId: "CA_1", word: "four" });
    await waitFor(() => words.length === 2, "the live event");
    expect(words).toEqual(["three", "four"]);
  });

  it("from: 'earliest' replays the call so far, then live events; after a drop it resumes after its last event, not from the start", async () => {
    await publishCall("CA_1");
    const stream = open({ from: "earliest", reconnect: { initialDelayMs: 10, maxDelayMs: 20 } });
    const seen: AnyEvent<AgentEvents>[] = [];
    stream.on("*", (e) => seen.push(e));
    await waitFor(() => seen.length === 4, "the call so far");
    server.drop();
    await statusReached(stream, "reconnecting");
    const live = await server.hub.publish({ event: "call.started", callId: "CA_2", from: "+5" });
    await waitFor(() => seen.length === 5, "the event published while it was away");
    expect(seen.map((e) => [e.event, "callId" in e ? e.callId : undefined])).toEqual([
      ["call.started", "CA_1"],
      ["bot.word", "CA_1"],
      ["bot.word", "CA_1"],
      ["call.ended", "CA_1"],
      ["call.started", "CA_2"],
    ]);
    expect(stream.lastEventId).toBe(live);
  });

  it("resumes exactly from hub.cursor() handed over as lastEventId", async () => {
    await publishCall("CA_1");
    const cursor = await server.hub.cursor();
    await server.hub.publish({ event: "bot.word", callId: "CA_1", word: "after" });
    const stream = open({ lastEventId: cursor, from: "earliest" });
    const seen: AnyEvent<AgentEvents>[] = [];
    stream.on("*", (e) => seen.push(e));
    await waitFor(() => seen.length === 1, "the event after the cursor");
    const live = await server.hub.publish({ event: "call.ended", callId: "CA_1", reason: "hangup" });
    await waitFor(() => seen.length === 2, "the live event");
    expect(seen.map((e) => e.event)).toEqual(["bot.word", "call.ended"]);
    expect(stream.lastEventId).toBe(live);
  });

  it("surfaces a gap (resume point unknown to the hub) to on('gap'), then the oldest retained event", async () => {
    const oldest = await server.hub.publish({ event: "bot.word", callId: "CA_1", word: "kept" });
    const stream = open({ lastEventId: "from-another-run" });
    const seen: AnyEvent<AgentEvents>[] = [];
    const gaps: unknown[] = [];
    stream.on("gap", (e) => gaps.push(e));
    stream.on("*", (e) => seen.push(e));
    await waitFor(() => seen.length === 2, "the gap and the replay");
    expect(gaps).toEqual([{ event: "gap", lastEventId: "from-another-run", reason: "unknown" }]);
    expect(seen).toEqual([
      { event: "gap", lastEventId: "from-another-run", reason: "unknown" },
      { event: "bot.word", callId: "CA_1", word: "kept", id: oldest },
    ]);
    // A control event carries no id: where the stream resumes does not move.
    expect(stream.lastEventId).toBe(oldest);
  });

  it("iterates with for await, in order, and stops iterating when the loop breaks", async () => {
    const stream = open({ events: ["bot.word"] });
    await statusReached(stream, "connected");
    await publishCall("CA_1");
    await publishCall("CA_2");
    const words: string[] = [];
    for await (const e of stream) {
      if (e.event === "bot.word") words.push(`${e.callId}:${e.word}`);
      if (words.length === 3) break;
    }
    expect(words).toEqual(["CA_1:hello", "CA_1:there", "CA_2:hello"]);
    // The stream itself goes on after the loop.
    expect(stream.status).toBe("connected");
  });

  it("ends for await when the stream closes", async () => {
    const stream = open();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const e of stream) seen.push(e.event);
      return "ended";
    })();
    await statusReached(stream, "connected");
    await server.hub.publish({ event: "call.started", callId: "CA_1", from: "+1" });
    await waitFor(() => seen.length === 1, "one event");
    stream.close();
    expect(await loop).toBe("ended");
    expect(seen).toEqual(["call.started"]);
  });
});

describe("createEventStream options", () => {
  it("fails at once, with the fix in the message, when Node has no WebSocket", () => {
    expect(() => createEventStream({ url: "http://127.0.0.1:1/events" })).toThrow(
      new TypeError(
        'no WebSocket implementation: pass one as the WebSocket option (in Node 20: import { WebSocket } from "ws"), or use transport: "sse"',
      ),
    );
  });

  it("rejects a bad transport and a missing url", () => {
    expect(() => createEventStream({ url: "http://h/e", transport: "poll" as "sse" })).toThrow(
      new TypeError('transport must be "websocket" or "sse", got "poll"'),
    );
    expect(() => createEventStream({ url: "" })).toThrow(new TypeError("url is required, e.g. https://app.example.com/events"));
  });

  it("throws on send over SSE: the transport is one-way", () => {
    const stream = createEventStream({ url: "http://127.0.0.1:1/events", transport: "sse" });
    try {
      expect(() => stream.send({ action: "ping" })).toThrow(
        new TypeError('send needs transport: "websocket"; SSE streams are one-way'),
      );
    } finally {
      stream.close();
    }
  });
});

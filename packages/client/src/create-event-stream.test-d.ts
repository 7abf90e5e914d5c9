import { describe, expectTypeOf, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import { createEventStream, type AnyEvent, type EventStream, type EventStreamError, type GapReason, type StreamStatus } from "./index.js";

interface AgentEvents {
  "call.started": { callId: string; from: string; agent: string };
  "bot.word": { callId: string; word: string };
  "call.ended": { callId: string; reason: "hangup" | "timeout" };
}

const stream = createEventStream<AgentEvents>({ url: "https://app.example.com/events" });

describe("a typed event map", () => {
  it("types each listener's event by its name, with event and id", () => {
    stream.on("bot.word", (e) => {
      expectTypeOf(e.word).toEqualTypeOf<string>();
      expectTypeOf(e.event).toEqualTypeOf<"bot.word">();
      expectTypeOf(e.id).toEqualTypeOf<string>();
    });
    stream.on("call.ended", (e) => {
      expectTypeOf(e.reason).toEqualTypeOf<"hangup" | "timeout">();
    });
  });

  it("rejects a wrong name or a wrong field", () => {
    // @ts-expect-error: no such event in the map
    stream.on("bot.wrod", () => {});
    stream.on("bot.word", (e) => {
      // @ts-expect-error: bot.word has no `from`
      void e.from;
    });
    stream.on("call.started", (e) => {
      // @ts-expect-error: `from` is a string
      const n: number = e.from;
      void n;
    });
  });

  it("gives '*' and for await a union discriminated by `event`, control events included", async () => {
    stream.on("*", (e) => {
      expectTypeOf(e).toEqualTypeOf<AnyEvent<AgentEvents>>();
      if (e.event === "bot.word") expectTypeOf(e.word).toEqualTypeOf<string>();
      if (e.event === "gap") {
        expectTypeOf(e.lastEventId).toEqualTypeOf<string>();
        expectTypeOf(e.reason).toEqualTypeOf<GapReason>();
      }
    });
    for await (const e of stream) {
      if (e.event === "call.started") expectTypeOf(e.agent).toEqualTypeOf<string>();
    }
  });

  it("types the control events", () => {
    stream.on("gap", (e) => {
      expectTypeOf(e).toEqualTypeOf<{ event: "gap" } & { lastEventId: string; reason: GapReason }>();
      expectTypeOf(e.reason).toEqualTypeOf<"expired" | "unknown" | "reset" | "overrun">();
      // @ts-expect-error: not a reason the protocol sends
      if (e.reason === "stale") void e;
    });
    stream.on("error", (e) => {
      expectTypeOf(e.code).toEqualTypeOf<string>();
      expectTypeOf(e.message).toEqualTypeOf<string>();
    });
  });

  it("starts from the earliest retained event or live, nothing else", () => {
    createEventStream<AgentEvents>({ url: "/events", from: "earliest" });
    createEventStream<AgentEvents>({ url: "/events", from: "live", lastEventId: "cursor" });
    // @ts-expect-error: `from` is "live" or "earliest"; a cursor goes in lastEventId
    createEventStream<AgentEvents>({ url: "/events", from: "oldest" });
  });

  it("checks the events filter against the map, allowing prefixes", () => {
    createEventStream<AgentEvents>({ url: "/events", events: ["call.*", "bot.word"] });
    // @ts-expect-error: not an event of the map, nor a prefix
    createEventStream<AgentEvents>({ url: "/events", events: ["bot.wrod"] });
    // @ts-expect-error: include takes names of the map or prefixes too
    createEventStream<AgentEvents>({ url: "/events", include: ["llm.tool_reslut"] });
  });
});

describe("the stream's other members", () => {
  it("returns unsubscribe functions and types status, send and lastEventId", () => {
    expectTypeOf(stream.on("bot.word", () => {})).toEqualTypeOf<() => void>();
    expectTypeOf(stream.onStatus).parameter(0).toEqualTypeOf<(status: StreamStatus, error?: EventStreamError) => void>();
    expectTypeOf(stream.status).toEqualTypeOf<StreamStatus>();
    expectTypeOf<StreamStatus>().toEqualTypeOf<"idle" | "connecting" | "connected" | "reconnecting" | "error" | "closed">();
    expectTypeOf(stream.send({ action: "ping" })).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(stream.send<number>({ action: "add", a: 1 })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(stream.lastEventId).toEqualTypeOf<string | undefined>();
    // @ts-expect-error: an action message needs an action
    void stream.send({ ref: 1 });
  });

  it("accepts the ws package's WebSocket and async headers", () => {
    expectTypeOf(
      createEventStream({
        url: "http://127.0.0.1:3000/events",
        WebSocket: NodeWebSocket,
        headers: async () => ({ authorization: "Bearer t" }),
      }),
    ).toEqualTypeOf<EventStream<import("./index.js").UntypedEvents>>();
  });

  it("without a map, takes any name and any field", () => {
    const untyped = createEventStream({ url: "/events" });
    untyped.on("anything.at.all", (e) => {
      expectTypeOf(e.event).toEqualTypeOf<"anything.at.all">();
      expectTypeOf(e.id).toEqualTypeOf<string>();
      expectTypeOf(e.whatever).toEqualTypeOf<any>();
    });
  });
});

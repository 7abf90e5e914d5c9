import { describe, expectTypeOf, it } from "vitest";
import type { AnyEvent, EventStream, EventStreamError, GapReason, StreamStatus } from "./index.js";
import { useEventStream } from "./react.js";

interface AgentEvents {
  "call.started": { callId: string; from: string };
  "bot.word": { callId: string; word: string };
  "call.ended": { callId: string };
}

type Calls = Record<string, { from: string; words: string[] }>;

describe("useEventStream", () => {
  it("starts from the earliest retained event, and hands the reducer gaps with their reason", () => {
    const result = useEventStream<AgentEvents, Calls>(
      { url: "/events", from: "earliest" },
      (calls, e) => {
        if (e.event === "gap") expectTypeOf(e.reason).toEqualTypeOf<GapReason>();
        return calls;
      },
      {},
    );
    expectTypeOf(result.state).toEqualTypeOf<Calls>();
    // @ts-expect-error: `from` is "live" or "earliest"
    useEventStream<AgentEvents>({ url: "/events", from: "start" });
  });

  it("folds typed events into typed state with a reducer", () => {
    const result = useEventStream<AgentEvents, Calls>(
      { url: "/events", events: ["call.*", "bot.word"] },
      (calls, e) => {
        expectTypeOf(e).toEqualTypeOf<AnyEvent<AgentEvents>>();
        if (e.event === "bot.word") expectTypeOf(e.word).toEqualTypeOf<string>();
        return calls;
      },
      {},
    );
    expectTypeOf(result.state).toEqualTypeOf<Calls>();
    expectTypeOf(result.status).toEqualTypeOf<StreamStatus>();
    expectTypeOf(result.error).toEqualTypeOf<EventStreamError | undefined>();
    expectTypeOf(result.stream).toEqualTypeOf<EventStream<AgentEvents> | undefined>();
    expectTypeOf(result.send<number>({ action: "add" })).toEqualTypeOf<Promise<number>>();
  });

  it("without a reducer, keeps recent events; null options open nothing", () => {
    expectTypeOf(useEventStream<AgentEvents>({ url: "/events" }).state).toEqualTypeOf<AnyEvent<AgentEvents>[]>();
    expectTypeOf(useEventStream<AgentEvents>(null, { maxEvents: 10 }).state).toEqualTypeOf<AnyEvent<AgentEvents>[]>();
  });

  it("rejects a reducer that returns the wrong state", () => {
    // @ts-expect-error: the reducer must return Calls
    useEventStream<AgentEvents, Calls>({ url: "/events" }, () => 1, {});
  });
});

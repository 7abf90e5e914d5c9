import { afterEach, describe, expect, it, vi } from "vitest";
import {
  FakeAgent,
  chatConversation,
  overlappingCalls,
  randomInterleaving,
  sessionIds,
  traceEvents,
  withSessionKey,
  type AgentEvent,
  type Trace,
} from "./index.js";

/** The steps of one session, in trace order. */
const stepsOf = (trace: Trace, key: string, id: string) => trace.steps.filter((s) => s.payload[key] === id);

describe("scripted traces", () => {
  for (const [trace, key, start, end] of [
    [overlappingCalls, "callId", "call.started", "call.ended"],
    [chatConversation, "conversationId", "conversation.started", "conversation.ended"],
  ] as const) {
    describe(trace.name, () => {
      it("is time-ordered and lasts a few seconds", () => {
        const times = trace.steps.map((s) => s.atMs);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        expect(times.at(-1)).toBeGreaterThan(1500);
        expect(times.at(-1)).toBeLessThan(6000);
      });

      it("starts every session before its other events and ends it last", () => {
        const ids = sessionIds(trace);
        expect(ids.length).toBeGreaterThanOrEqual(2);
        for (const id of ids) {
          const names = stepsOf(trace, key, id).map((s) => s.name);
          expect(names[0]).toBe(start);
          expect(names.at(-1)).toBe(end);
          expect(names.filter((n) => n === start || n === end)).toHaveLength(2);
          expect(names).toContain("user.message");
          expect(names).toContain("bot.word");
        }
      });

      it("has sessions that overlap in time", () => {
        const spans = sessionIds(trace).map((id) => {
          const steps = stepsOf(trace, key, id);
          return [steps[0]?.atMs ?? 0, steps.at(-1)?.atMs ?? 0] as const;
        });
        expect(Math.max(...spans.map(([from]) => from))).toBeLessThan(Math.min(...spans.map(([, to]) => to)));
      });

      it("has session-less events and no reserved fields", () => {
        expect(trace.steps.filter((s) => !(key in s.payload)).map((s) => s.name)).toEqual(
          expect.arrayContaining(["agent.status", "system.metrics"]),
        );
        for (const s of trace.steps) expect(Object.keys(s.payload)).not.toEqual(expect.arrayContaining(["event"]));
        for (const s of trace.steps) expect("id" in s.payload).toBe(false);
      });
    });
  }

  it("overlappingCalls has 3+ calls with tool calls answered, and words every 60–120 ms", () => {
    const ids = sessionIds(overlappingCalls);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(ids[0]).toBe("CA_1001");
    for (const id of ids) {
      const steps = stepsOf(overlappingCalls, "callId", id);
      const call = steps.findIndex((s) => s.name === "llm.tool_call");
      const result = steps.findIndex((s) => s.name === "llm.tool_result");
      expect(call).toBeGreaterThan(0);
      expect(result).toBeGreaterThan(call);
      expect(steps[result]?.payload.toolCallId).toBe(steps[call]?.payload.toolCallId);
      const words = steps.filter((s) => s.name === "bot.word");
      for (let i = 1; i < words.length; i++) {
        const [prev, cur] = [words[i - 1], words[i]];
        if (cur?.payload.index === 0) continue; // a new reply
        expect((cur?.atMs ?? 0) - (prev?.atMs ?? 0)).toBeGreaterThanOrEqual(60);
        expect((cur?.atMs ?? 0) - (prev?.atMs ?? 0)).toBeLessThanOrEqual(120);
        expect(cur?.payload.index).toBe((prev?.payload.index as number) + 1);
      }
    }
  });

  it("withSessionKey renames the session field and keeps everything else", () => {
    const renamed = withSessionKey(overlappingCalls, "sessionId");
    expect(renamed.sessionKey).toBe("sessionId");
    expect(sessionIds(renamed)).toEqual(sessionIds(overlappingCalls));
    expect(renamed.steps.some((s) => "callId" in s.payload)).toBe(false);
    expect(traceEvents(renamed)[1]).toEqual({ event: "call.started", sessionId: "CA_1001", orgId: "acme", from: "+14155550101", to: "+14155550100", agent: "pines" });
  });

  it("overlappingCalls puts each call's tenant (orgId) on every event of it, and none on session-less events", () => {
    const tenants = Object.fromEntries(sessionIds(overlappingCalls).map((id) => [id, [...new Set(stepsOf(overlappingCalls, "callId", id).map((s) => s.payload.orgId))]]));
    expect(tenants).toEqual({ CA_1001: ["acme"], CA_1002: ["globex"], CA_1003: ["acme"] });
    expect(overlappingCalls.steps.filter((s) => !("callId" in s.payload) && "orgId" in s.payload)).toEqual([]);
  });
});

describe("FakeAgent", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Records every event the agent emits, with the (fake) time since `t0`. */
  function record(agent: FakeAgent, t0: number): Array<AgentEvent & { at: number }> {
    const seen: Array<AgentEvent & { at: number }> = [];
    for (const name of agent.events) {
      agent.on(name, (payload: Record<string, unknown>) => seen.push({ event: name, ...payload, at: Date.now() - t0 }));
    }
    return seen;
  }
  const withoutAt = (events: Array<AgentEvent & { at: number }>) => events.map(({ at: _at, ...e }) => e);

  it("emits every step in order, on time", async () => {
    vi.useFakeTimers();
    const agent = new FakeAgent({ trace: overlappingCalls });
    const t0 = Date.now();
    const seen = record(agent, t0);
    agent.start();
    expect(seen).toHaveLength(0); // nothing synchronously
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen.length).toBe(overlappingCalls.steps.filter((s) => s.atMs <= 1000).length);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(withoutAt(seen)).toEqual(traceEvents(overlappingCalls));
    expect(seen.map((e) => e.at)).toEqual(overlappingCalls.steps.map((s) => s.atMs));
    expect(agent.running).toBe(false);
    await agent.whenDone();
  });

  it("scales time by speed and can be stopped", async () => {
    vi.useFakeTimers();
    const agent = new FakeAgent({ speed: 4 });
    const seen = record(agent, Date.now());
    agent.start();
    const last = overlappingCalls.steps.at(-1)?.atMs ?? 0;
    await vi.advanceTimersByTimeAsync(Math.ceil(last / 4) + 1);
    expect(withoutAt(seen)).toEqual(traceEvents(overlappingCalls));
    seen.forEach((e, i) => expect(Math.abs(e.at - (overlappingCalls.steps[i]?.atMs ?? 0) / 4)).toBeLessThanOrEqual(1));

    seen.length = 0;
    agent.start();
    await vi.advanceTimersByTimeAsync(100);
    const count = seen.length;
    agent.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen.length).toBe(count);
    expect(count).toBeGreaterThan(0);
  });

  it("loops with fresh call ids every round", async () => {
    vi.useFakeTimers();
    const agent = new FakeAgent({ loop: true, speed: 10, events: ["call.started", "call.ended"] });
    expect(agent.events).toEqual(["call.started", "call.ended"]);
    const seen = record(agent, Date.now());
    agent.start();
    await vi.advanceTimersByTimeAsync(2000); // about 5 rounds of ~0.4 s
    agent.stop();
    expect(agent.round).toBeGreaterThanOrEqual(3);
    const started = seen.filter((e) => e.event === "call.started").map((e) => e.callId);
    expect(started.slice(0, 6)).toEqual(["CA_1001", "CA_1002", "CA_1003", "CA_1001_r1", "CA_1002_r1", "CA_1003_r1"]);
    expect(new Set(started).size).toBe(started.length);
    expect(seen.every((e) => e.event === "call.started" || e.event === "call.ended")).toBe(true);
  });

  it("replayInstantly emits and returns the whole trace synchronously", () => {
    const agent = new FakeAgent({ trace: chatConversation });
    const seen = record(agent, 0);
    const events = agent.replayInstantly();
    expect(events).toEqual(traceEvents(chatConversation));
    expect(withoutAt(seen)).toEqual(events);
  });
});

describe("randomInterleaving", () => {
  it("is deterministic for a seed, and differs across seeds", () => {
    const a = randomInterleaving({ sessions: 50, events: 5000, seed: 42 });
    expect(randomInterleaving({ sessions: 50, events: 5000, seed: 42 })).toEqual(a);
    expect(randomInterleaving({ sessions: 50, events: 5000, seed: 43 }).steps).not.toEqual(a.steps);
    expect(a.steps).toHaveLength(5000);
  });

  it("keeps every session well-formed and interleaves them", () => {
    const trace = randomInterleaving({ sessions: 20, events: 2000, seed: 7, sessionKey: "sessionId", idPrefix: "S" });
    const ids = sessionIds(trace);
    expect(ids).toHaveLength(20);
    for (const id of ids) {
      const steps = stepsOf(trace, "sessionId", id);
      expect(steps[0]?.name).toBe("call.started");
      expect(steps.at(-1)?.name).toBe("call.ended");
      steps.forEach((s, i) => {
        if (s.name === "llm.tool_call") expect(steps[i + 1]?.payload.toolCallId).toBe(s.payload.toolCallId);
      });
    }
    expect(trace.steps.some((s) => !("sessionId" in s.payload))).toBe(true);
    const firstTen = new Set(trace.steps.slice(0, 40).map((s) => s.payload.sessionId));
    expect(firstTen.size).toBeGreaterThan(5);
    const times = trace.steps.map((s) => s.atMs);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it("refuses too few events", () => {
    expect(() => randomInterleaving({ sessions: 10, events: 15 })).toThrow(RangeError);
  });
});

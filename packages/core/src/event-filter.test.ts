import { describe, expect, it } from "vitest";
import { EventFilter } from "./event-filter.js";

describe("EventFilter", () => {
  it("passes every event that is not opt-in by default", () => {
    const filter = new EventFilter(undefined, undefined);
    expect([filter.matches("call.started", false), filter.matches("llm.tool_result", true)]).toEqual([true, false]);
  });

  it("matches names exactly and prefixes ending in *", () => {
    const filter = new EventFilter(["call.*", "bot.word"], undefined);
    expect(["call.started", "call.", "call", "bot.word", "bot.words", "user.message"].map((n) => filter.matches(n, false))).toEqual([true, true, false, true, false, false]);
    expect(new EventFilter(["*"], undefined).matches("anything", false)).toBe(true);
  });

  it("sends opt-in events only when include names them, whatever events says", () => {
    const filter = new EventFilter(["bot.word"], ["llm.tool_*"]);
    expect([filter.matches("llm.tool_result", true), filter.matches("llm.other", true), filter.matches("bot.word", false)]).toEqual([true, false, true]);
  });
});

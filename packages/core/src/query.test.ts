import { describe, expect, it } from "vitest";
import { BadQueryError, readStreamOptions } from "./query.js";

describe("readStreamOptions", () => {
  it("reads session, events, include and lastEventId from the query", () => {
    expect(readStreamOptions("/events?session=CA_1&events=call.*,bot.word&include=llm.tool_result&lastEventId=abc-1", {})).toEqual({
      sessionId: "CA_1",
      events: ["call.*", "bot.word"],
      include: ["llm.tool_result"],
      lastEventId: "abc-1",
    });
  });

  it("reads eventLines as 1/true or 0/false, code over the query, and refuses anything else", () => {
    for (const [value, expected] of [["1", true], ["true", true], ["0", false], ["false", false]] as const) {
      expect(readStreamOptions(`/events?eventLines=${value}`, {}).eventLines).toBe(expected);
    }
    expect(readStreamOptions("/events", {}).eventLines).toBeUndefined();
    expect(readStreamOptions("/events?eventLines=1", {}, { eventLines: false }).eventLines).toBe(false);
    for (const bad of ["yes", "", "2", "1&eventLines=1"]) {
      expect(() => readStreamOptions(`/events?eventLines=${bad}`, {})).toThrow(BadQueryError);
    }
  });

  it("takes Last-Event-ID from the header over the query, and code over both", () => {
    expect(readStreamOptions("/events", { "last-event-id": "h-1" }).lastEventId).toBe("h-1");
    expect(readStreamOptions("/events?lastEventId=q-1", { "last-event-id": "h-1" }).lastEventId).toBe("h-1");
    expect(readStreamOptions("/events?lastEventId=q-1", { "last-event-id": "" }).lastEventId).toBe("q-1");
    expect(readStreamOptions("/events?session=A&lastEventId=q-1", {}, { sessionId: "B", lastEventId: "c-1" })).toMatchObject({ sessionId: "B", lastEventId: "c-1" });
  });

  it.each(["events=a*b", "events=", "events=a,,b", "include=a%20b", "session=", "session=a&session=b", `session=${"s".repeat(600)}`, `lastEventId=${"1".repeat(600)}`])(
    "refuses %s",
    (query) => {
      expect(() => readStreamOptions(`/events?${query}`, {})).toThrow(BadQueryError);
    },
  );
});

import { describe, expect, it } from "vitest";
import { BadQueryError, readStreamOptions, targetParses } from "./query.js";

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

  // The message is the 400 body's `message` and the 4400 close reason: exact, as a client sees it.
  it.each([
    ["events=a*b", `"events" takes comma-separated event names or prefixes ending in "*", got "a*b"`],
    ["include=a%20b", `"include" takes comma-separated event names or prefixes ending in "*", got "a b"`],
    ["session=", `"session" must be 1 to 512 characters`],
    ["session=a&session=b", `"session" may be given once`],
    [`lastEventId=${"1".repeat(513)}`, "lastEventId is longer than 512 characters"],
    [`eventLines=${"y".repeat(50)}`, `"eventLines" takes 1 or 0 (true or false), got "${"y".repeat(40)}"`],
  ])("refuses %s with its reason", (query, message) => {
    expect(() => readStreamOptions(`/events?${query}`, {})).toThrow(expect.objectContaining({ name: "BadQueryError", message }));
  });

  it("takes a session and a lastEventId of 512 characters, not 513", () => {
    const at = "s".repeat(512);
    expect(readStreamOptions(`/events?session=${at}&lastEventId=${at}`, {})).toMatchObject({ sessionId: at, lastEventId: at });
    expect(() => readStreamOptions(`/events?session=${at}s`, {})).toThrow(BadQueryError);
    expect(() => readStreamOptions(`/events?lastEventId=${at}s`, {})).toThrow(BadQueryError);
    const declared = new Map([["tenant", "orgId"]]);
    expect(readStreamOptions(`/events?tenant=${at}`, {}, {}, declared).scopes).toEqual({ tenant: [at] });
    expect(() => readStreamOptions(`/events?tenant=${at}s`, {}, {}, declared)).toThrow(new BadQueryError(`"tenant" must be 1 to 512 characters`));
  });

  it("ignores a Last-Event-ID header given more than once (not a string), and reads the query", () => {
    expect(readStreamOptions("/events?lastEventId=q-1", { "last-event-id": ["h-1", "h-2"] }).lastEventId).toBe("q-1");
  });

  it("refuses a request without a target or with one no URL parser takes, with its reason", () => {
    expect(() => readStreamOptions(undefined as unknown as string, {})).toThrow(new BadQueryError("the request has no target"));
    expect(() => readStreamOptions("//[", {})).toThrow(new BadQueryError("the request target cannot be parsed as a URL"));
    expect([targetParses("//["), targetParses("/events?session=a")]).toEqual([false, true]);
  });

  it("reads declared scopes from code over the query, none when neither names one, and refuses undeclared ones in code", () => {
    const declared = new Map([["tenant", "orgId"], ["agent", "agentId"]]);
    expect(readStreamOptions("/events?tenant=q&agent=a1,a2", {}, { scopes: { tenant: ["c1", "c2"] } }, declared).scopes).toEqual({ tenant: ["c1", "c2"], agent: ["a1", "a2"] });
    expect(readStreamOptions("/events?other=x", {}, {}, declared).scopes).toBeUndefined();
    expect(() => readStreamOptions("/events", {}, { scopes: { tenant: ["a"] } })).toThrow(
      new TypeError(`stream options: scope "tenant" is not declared in createHub({ scopes }) (none are declared)`),
    );
  });
});

import { describe, expect, it } from "vitest";
import { parseErrorBody } from "./event-stream-error.js";
import { parseRetryAfter, terminalCloseCodes, terminalStatuses } from "./refusals.js";
import { parseWireEvent } from "./stream-source.js";

describe("parseWireEvent", () => {
  it("reads an event object, taking the SSE id when the JSON has none", () => {
    expect(parseWireEvent('{"event":"bot.word","word":"hi","id":"7"}')).toEqual({ event: "bot.word", word: "hi", id: "7" });
    expect(parseWireEvent('{"event":"bot.word"}', "9")).toEqual({ event: "bot.word", id: "9" });
    expect(parseWireEvent('{"event":"gap","lastEventId":"x"}')).toEqual({ event: "gap", lastEventId: "x" });
  });

  it("ignores what is not an object with a string event", () => {
    expect(parseWireEvent("not json")).toBeUndefined();
    expect(parseWireEvent("[1,2]")).toBeUndefined();
    expect(parseWireEvent("null")).toBeUndefined();
    expect(parseWireEvent('{"event":3}')).toBeUndefined();
    expect(parseWireEvent('{"word":"hi"}')).toBeUndefined();
  });
});

describe("parseErrorBody", () => {
  it("reads an SSE refusal body", () => {
    expect(parseErrorBody('{"error":"forbidden","message":"session \\"B\\" is not allowed"}')).toEqual({
      code: "forbidden",
      message: 'session "B" is not allowed',
    });
  });

  it("reads a WebSocket close reason written as code: message, or a bare code", () => {
    expect(parseErrorBody("unauthenticated: authorization is required")).toEqual({
      code: "unauthenticated",
      message: "authorization is required",
    });
    expect(parseErrorBody("forbidden")).toEqual({ code: "forbidden", message: "forbidden" });
  });

  it("keeps a sentence as the message, without a code", () => {
    expect(parseErrorBody("server shutting down: reconnect")).toEqual({ code: "", message: "server shutting down: reconnect" });
    expect(parseErrorBody("  ")).toBeUndefined();
  });
});

describe("refusals", () => {
  it("stops on the refusals of docs/protocol.md#refusal-and-close-codes only", () => {
    expect([...terminalCloseCodes.keys()]).toEqual([4400, 4401, 4403, 1008]);
    expect([...terminalStatuses.keys()]).toEqual([204, 400, 401, 403, 404, 410]);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4_000)).toBe(6_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

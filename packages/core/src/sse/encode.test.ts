import { describe, expect, it } from "vitest";
import { encodeSseComment, encodeSseEvent, encodeSseRetry, sseEventName } from "./encode.js";

describe("encodeSseEvent", () => {
  it("writes id, then one data line per line of data, then a blank line", () => {
    expect(encodeSseEvent({ id: "7", data: '{"event":"x"}' })).toBe('id: 7\ndata: {"event":"x"}\n\n');
  });

  it.each([
    ["LF", "a\nb", "data: a\ndata: b\n"],
    ["CR", "a\rb", "data: a\ndata: b\n"],
    ["CRLF", "a\r\nb", "data: a\ndata: b\n"],
    ["mixed and trailing", "a\r\n\rb\n", "data: a\ndata: \ndata: b\ndata: \n"],
    ["empty", "", "data: \n"],
  ])("splits %s line breaks so no data can end the event early", (_name, data, lines) => {
    expect(encodeSseEvent({ data })).toBe(`${lines}\n`);
  });

  it("keeps U+2028, U+2029 and emoji as they are (they are not SSE line breaks)", () => {
    expect(encodeSseEvent({ data: "\u2028\u2029🎙️" })).toBe("data: \u2028\u2029🎙️\n\n");
  });

  it("writes an event line when asked", () => {
    expect(encodeSseEvent({ event: "update", data: "x" })).toBe("event: update\ndata: x\n\n");
  });

  it.each([["id", { id: "a\nb", data: "" }], ["id", { id: "a\rb", data: "" }], ["event", { event: "x\r\ny", data: "" }], ["id", { id: "a\0b", data: "" }]])(
    "rejects CR, LF and NUL in %s",
    (field, message) => {
      expect(() => encodeSseEvent(message)).toThrow(new TypeError(`SSE ${field} cannot contain CR, LF or NUL: ${JSON.stringify((message as Record<string, string>)[field])}`));
    },
  );

  it("writes id, event and data in that order, with comment lines split on CR and CRLF too", () => {
    expect(encodeSseEvent({ id: "7", event: "e", data: "a\r\nb" })).toBe("id: 7\nevent: e\ndata: a\ndata: b\n\n");
    expect(encodeSseComment("a\rb\r\nc")).toBe(": a\n: b\n: c\n\n");
  });
});

describe("sseEventName", () => {
  it("keeps a name an event line can carry, and drops one with CR, LF or NUL", () => {
    expect(["call.started", "a b:c", "a\nb", "a\rb", "a\0b"].map(sseEventName)).toEqual(["call.started", "a b:c", undefined, undefined, undefined]);
  });
});

describe("encodeSseComment and encodeSseRetry", () => {
  it("makes every line of a comment a comment", () => {
    expect(encodeSseComment("keepalive")).toBe(": keepalive\n\n");
    expect(encodeSseComment("a\nb")).toBe(": a\n: b\n\n");
  });

  it("writes whole milliseconds", () => {
    expect(encodeSseRetry(1500.7)).toBe("retry: 1500\n\n");
    expect([encodeSseRetry(-5), encodeSseRetry(0)]).toEqual(["retry: 0\n\n", "retry: 0\n\n"]);
  });
});

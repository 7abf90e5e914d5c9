import { describe, expect, it } from "vitest";
import { encodeSseComment, encodeSseEvent, encodeSseRetry } from "./encode.js";

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
      expect(() => encodeSseEvent(message)).toThrow(new RegExp(`SSE ${field} cannot contain`));
    },
  );
});

describe("encodeSseComment and encodeSseRetry", () => {
  it("makes every line of a comment a comment", () => {
    expect(encodeSseComment("keepalive")).toBe(": keepalive\n\n");
    expect(encodeSseComment("a\nb")).toBe(": a\n: b\n\n");
  });

  it("writes whole milliseconds", () => {
    expect(encodeSseRetry(1500.7)).toBe("retry: 1500\n\n");
  });
});

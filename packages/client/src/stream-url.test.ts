import { describe, expect, it } from "vitest";
import { buildStreamUrl, validateNames } from "./stream-url.js";

describe("buildStreamUrl", () => {
  it("switches the scheme to the transport's and keeps the path and other parameters", () => {
    expect(buildStreamUrl("http://h:3000/events?token=t", "websocket", {})).toBe("ws://h:3000/events?token=t");
    expect(buildStreamUrl("https://h/events", "websocket", {})).toBe("wss://h/events");
    expect(buildStreamUrl("ws://h:3000/events", "sse", {})).toBe("http://h:3000/events");
    expect(buildStreamUrl("wss://h/events", "sse", {})).toBe("https://h/events");
    expect(buildStreamUrl(new URL("http://h/events"), "sse", {})).toBe("http://h/events");
  });

  it("sets session, events, include and lastEventId as docs/protocol.md#wire-protocol names them", () => {
    const url = new URL(
      buildStreamUrl("http://h/events", "sse", {
        session: "CA_1",
        events: ["call.*", "bot.word"],
        include: ["llm.tool_result"],
        lastEventId: "0000000001-7",
      }),
    );
    expect([...url.searchParams]).toEqual([
      ["session", "CA_1"],
      ["events", "call.*,bot.word"],
      ["include", "llm.tool_result"],
      ["lastEventId", "0000000001-7"],
    ]);
  });

  it("replaces a lastEventId already in the URL, and drops it when there is none", () => {
    expect(buildStreamUrl("http://h/e?lastEventId=old", "sse", { lastEventId: "new" })).toBe("http://h/e?lastEventId=new");
    expect(buildStreamUrl("http://h/e?lastEventId=old", "sse", {})).toBe("http://h/e");
  });

  it("refuses a relative URL outside a browser with a hint, and other schemes", () => {
    expect(() => buildStreamUrl("/events", "sse", {})).toThrow(
      new TypeError(
        'url "/events" is not a valid URL; outside a browser, pass an absolute URL such as http://127.0.0.1:3000/events',
      ),
    );
    expect(() => buildStreamUrl("ftp://h/events", "sse", {})).toThrow(
      new TypeError('url "ftp://h/events" must use http(s) or ws(s), not ftp:'),
    );
  });
});

describe("validateNames", () => {
  it("accepts names and prefixes, refuses what the comma-separated query cannot carry", () => {
    expect(() => validateNames("events", ["call.*", "bot.word"])).not.toThrow();
    expect(() => validateNames("events", ["a,b"])).toThrow(
      new TypeError('events entries must be non-empty event names without commas, got "a,b"'),
    );
    expect(() => validateNames("include", [""])).toThrow(
      new TypeError('include entries must be non-empty event names without commas, got ""'),
    );
  });
});

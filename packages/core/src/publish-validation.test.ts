import { describe, expect, it } from "vitest";
import { createHub } from "./hub.js";
import { encodePublished } from "./publish-validation.js";

const quiet = { warn() {}, error() {} };

describe("publish validation (docs/protocol.md#events-and-publishing)", () => {
  const circular: Record<string, unknown> = { event: "loop" };
  circular.self = circular;
  const cases: [string, unknown, RegExp][] = [
    ["a string", "call.started", /must be a plain object/],
    ["null", null, /must be a plain object/],
    ["an array", [{ event: "x" }], /must be a plain object/],
    ["no event field", { callId: "CA_1" }, /non-empty string "event"/],
    ["an empty event name", { event: "" }, /non-empty string "event"/],
    ["a numeric event name", { event: 42 }, /non-empty string "event"/],
    ["its own id", { event: "x", id: "mine" }, /event field "id" is reserved for the stream position; rename it/],
    ["an id set to undefined", { event: "x", id: undefined }, /"id" is reserved/],
    ["a BigInt", { event: "x", count: 10n }, /cannot be encoded as JSON/],
    ["a cycle", circular, /cannot be encoded as JSON/],
    ["a toJSON that is no object", { event: "x", toJSON: () => "nope" }, /does not encode to a JSON object/],
  ];

  it.each(cases)("throws a TypeError at once for %s, and sends nothing", async (_name, event, message) => {
    const hub = createHub({ authorize: true, logger: quiet });
    let thrown: unknown;
    try {
      void hub.publish(event as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).message).toMatch(message);
    expect(hub.stats().events.published).toBe(0);
    expect((await hub.bus.read(undefined, 10)).events).toEqual([]);
    await hub.close();
  });

  it("encodes once, escaping U+2028/U+2029, and reads the session from sessionKey", () => {
    expect(encodePublished({ event: "bot.word", callId: "CA_1", word: "a\u2028b" }, "callId")).toEqual({
      name: "bot.word",
      session: "CA_1",
      json: '{"event":"bot.word","callId":"CA_1","word":"a\\u2028b"}',
    });
    expect(encodePublished({ event: "x", callId: 7 }, "callId").session).toBe("7");
    expect(encodePublished({ event: "x", callId: { nested: true } }, "callId").session).toBeUndefined();
  });

  it("resolves to the id the bus assigned, in publish order", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    const ids = await Promise.all([hub.publish({ event: "a" }), hub.publish({ event: "b" })]);
    const { events } = await hub.bus.read(undefined, 10);
    expect(events.map((e) => [e.id, e.name])).toEqual([[ids[0], "a"], [ids[1], "b"]]);
    await hub.close();
  });
});

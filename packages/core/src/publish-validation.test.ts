import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Frame } from "./frame.js";
import { createHub } from "./hub.js";
import { encodePublished } from "./publish-validation.js";

const quiet = { warn() {}, error() {} };

describe("publish validation (docs/protocol.md#events-and-publishing)", () => {
  const circular: Record<string, unknown> = { event: "loop" };
  circular.self = circular;
  const cases: [string, unknown, RegExp][] = [
    ["a string", "call.started", /^publish: an event must be a plain object with a string "event" field, got "call.started"$/],
    ["null", null, /^publish: an event must be a plain object with a string "event" field, got null$/],
    ["an array", [{ event: "x" }], /^publish: an event must be a plain object with a string "event" field, got an array$/],
    ["a number", 7, /^publish: an event must be a plain object with a string "event" field, got number$/],
    ["no event field", { callId: "CA_1" }, /^publish: the event needs a non-empty string "event" field naming it, got undefined$/],
    ["an empty event name", { event: "" }, /^publish: the event needs a non-empty string "event" field naming it, got ""$/],
    ["a numeric event name", { event: 42 }, /^publish: the event needs a non-empty string "event" field naming it, got number$/],
    ["its own id", { event: "x", id: "mine" }, /event field "id" is reserved for the stream position; rename it/],
    ["an id set to undefined", { event: "x", id: undefined }, /"id" is reserved/],
    ["a BigInt", { event: "x", count: 10n }, /cannot be encoded as JSON/],
    ["a cycle", circular, /cannot be encoded as JSON/],
    ["a toJSON that is no object", { event: "x", toJSON: () => "nope" }, /does not encode to a JSON object/],
    // What is checked is what JSON encodes (docs/protocol.md#events-and-publishing), not the object's own fields:
    ["an event getter", Object.defineProperty({}, "event", { get: () => "x", enumerable: false }), /non-empty string "event"/],
    ["a toJSON that returns {}", { event: "x", toJSON: () => ({}) }, /non-empty string "event"/],
    ["a toJSON that adds an id", { event: "x", toJSON: () => ({ event: "x", id: "mine" }) }, /"id" is reserved/],
    ["an id getter", Object.defineProperty({ event: "x" }, "id", { get: () => "mine", enumerable: true }), /"id" is reserved/],
    ["an inherited toJSON that adds an id", Object.create({ toJSON: () => ({ event: "x", id: "1" }) }, { event: { value: "x", enumerable: true } }), /"id" is reserved/],
    ["a toJSON that throws null", { event: "x", toJSON: () => { throw null; } }, /^publish: event "x" cannot be encoded as JSON: null$/],
    ["a toJSON that throws a null-prototype object", { event: "x", toJSON: () => { throw Object.create(null); } }, /^publish: event "x" cannot be encoded as JSON: \[object Object\]$/],
    ["a field whose toJSON throws", { event: "x", at: { toJSON: () => { throw new RangeError("bad date"); } } }, /^publish: event "x" cannot be encoded as JSON: bad date$/],
    ["a Proxy whose traps throw", new Proxy({ event: "x" }, { ownKeys: () => { throw Object.create(null); } }), /cannot be encoded as JSON/],
    ["a Proxy whose descriptor trap throws", new Proxy({ event: "x" }, { getOwnPropertyDescriptor: () => { throw new Error("trap"); } }), /^publish: event cannot be encoded as JSON: trap$/],
    ["a BigInt beside a numeric event name", { event: 5, n: 1n }, /^publish: event cannot be encoded as JSON: Do not know how to serialize a BigInt$/],
    ["a toJSON that returns undefined", { event: "x", toJSON: () => undefined }, /^publish: event "x" does not encode to a JSON object \(check its toJSON\)$/],
    ["an event field that is not enumerable", Object.defineProperty({}, "event", { value: "x", enumerable: false }), /non-empty string "event"/],
    ["its own id, dropped by its toJSON", { event: "x", id: "mine", toJSON: () => ({ event: "x" }) }, /"id" is reserved/],
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

  it("keeps what JSON could not encode as the TypeError's cause", () => {
    let thrown: unknown;
    try {
      encodePublished({ event: "x", n: 1n }, "callId");
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).cause).toBeInstanceOf(TypeError);
    expect(((thrown as Error).cause as Error).message).toBe("Do not know how to serialize a BigInt");
  });

  it("routes by a finite number or a string only, and by what JSON encodes: no prototype getter, no non-enumerable field", () => {
    expect([Number.NaN, Number.POSITIVE_INFINITY, true].map((callId) => encodePublished({ event: "x", callId }, "callId").session)).toEqual([undefined, undefined, undefined]);
    class Call {
      event = "x";
      get callId(): string {
        return "CA_9";
      }
    }
    expect(encodePublished(new Call(), "callId")).toEqual({ name: "x", session: undefined, json: '{"event":"x"}' });
    const hidden = Object.defineProperty({ event: "x" }, "callId", { value: "CA_4", enumerable: false });
    expect(encodePublished(hidden, "callId")).toEqual({ name: "x", session: undefined, json: '{"event":"x"}' });
  });

  it("puts on the wire what JSON encodes: the name and session of a toJSON or a getter", async () => {
    expect(encodePublished({ event: "ignored", toJSON: () => ({ event: "real", callId: "CA_2" }) }, "callId")).toEqual({
      name: "real",
      session: "CA_2",
      json: '{"event":"real","callId":"CA_2"}',
    });
    const getter = Object.defineProperty({ event: "x" }, "callId", { get: () => "CA_3", enumerable: true });
    expect(encodePublished(getter, "callId")).toEqual({ name: "x", session: "CA_3", json: '{"event":"x","callId":"CA_3"}' });
  });

  it("never puts invalid JSON on the wire, whatever toJSON returns (generated)", () => {
    const encodings = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.integer(), fc.array(fc.jsonValue()), fc.dictionary(fc.constantFrom("event", "id", "callId", "x"), fc.jsonValue()));
    fc.assert(
      fc.property(encodings, (encoding) => {
        let record;
        try {
          record = encodePublished({ event: "x", toJSON: () => encoding }, "callId");
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          return;
        }
        const decoded = JSON.parse(new Frame({ ...record, id: "1-0" }).json) as Record<string, unknown>;
        expect(decoded).toEqual({ ...(encoding as object), id: "1-0" });
        expect(typeof decoded.event).toBe("string");
      }),
      { numRuns: 300 },
    );
  });

  it("resolves to the id the bus assigned, in publish order", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    const ids = await Promise.all([hub.publish({ event: "a" }), hub.publish({ event: "b" })]);
    const { events } = await hub.bus.read(undefined, 10);
    expect(events.map((e) => [e.id, e.name])).toEqual([[ids[0], "a"], [ids[1], "b"]]);
    await hub.close();
  });
});

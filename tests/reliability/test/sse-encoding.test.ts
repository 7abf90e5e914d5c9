import http from "node:http";
import { until, WsClient } from "@eventwire/conformance";
import { encodeSseComment, encodeSseEvent, encodeSseRetry } from "@eventwire/core";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveHub, type ServedHub } from "../src/hubs.js";
import { servers } from "../src/servers.js";

/**
 * Issue 8, "Hostile input": property-based fuzzing of SSE encoding, checked with an independent
 * parser (`eventsource-parser`, not the conformance suite's and not core's): whatever a publisher
 * puts in an event, every reader sees exactly that event, once, and nothing an attacker could have
 * smuggled into a field (Mercure's field-injection cases) becomes a line, an event or a retry.
 */

/** What an SSE reader makes of `chunks` (strings, decoded), per the WHATWG parsing rules. */
function parseSse(chunks: Iterable<string>) {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const errors: string[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onRetry: (retry) => retries.push(retry),
    onComment: (comment) => comments.push(comment),
    onError: (error) => errors.push(error.message),
  });
  for (const chunk of chunks) parser.feed(chunk);
  return { events, retries, comments, errors };
}

/** Splits `bytes` at the given offsets and decodes them as a stream, as a reader's socket would. */
function* decodeInPieces(bytes: Uint8Array, cuts: number[]): Generator<string> {
  const decoder = new TextDecoder();
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield decoder.decode(bytes.subarray(from, cut), { stream: true });
    from = cut;
  }
  yield decoder.decode(bytes.subarray(from));
}

/** Strings a field-injection attack would try, mixed into fully random ones. */
const nasty = fc.constantFrom(
  "\n\ndata: {\"event\":\"forged\"}\n\n",
  "\r\rid: forged\r\r",
  "\r\nretry: 1\r\n\r\n",
  "\nevent: forged\n",
  ": comment\n",
  "\u2028\u2029",
  "\u0000",
  "\uFEFFdata: x",
  "data:",
  "\r",
  "\n",
  "\r\n",
  " leading space",
  "🎙️ é 中文 \u{10FFFF}",
);
const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), nasty, fc.array(nasty, { maxLength: 4 }).map((parts) => parts.join("")));
/** SSE normalises every line break in data to LF. */
const asRead = (data: string) => data.replace(/\r\n|\r/g, "\n");

describe("encodeSseEvent, read back by eventsource-parser", () => {
  it("any data and any id without CR, LF or NUL come back exactly (LF for every line break), as one event", () => {
    fc.assert(
      fc.property(anyText, anyText.filter((id) => !/[\r\n\0]/.test(id)), fc.array(fc.nat(), { maxLength: 6 }), (data, id, cuts) => {
        const bytes = new TextEncoder().encode(encodeSseEvent({ id, data }));
        const parsed = parseSse(decodeInPieces(bytes, cuts));
        // (eventsource-parser dispatches an event with empty data too; a browser would not. The hub
        // never sends one: its data is always a JSON object.)
        expect(parsed.events).toEqual([{ id, data: asRead(data), event: undefined }]);
        expect([parsed.retries, parsed.comments, parsed.errors]).toEqual([[], [], []]);
      }),
      { numRuns: 2_000, seed: 81 },
    );
  });

  it("an id or event name with CR, LF or NUL is refused with a TypeError, never written", () => {
    fc.assert(
      fc.property(anyText, fc.constantFrom("\r", "\n", "\0"), anyText, fc.constantFrom("id", "event"), (before, breaker, after, field) => {
        expect(() => encodeSseEvent({ data: "x", [field]: before + breaker + after })).toThrow(TypeError);
      }),
      { numRuns: 500, seed: 82 },
    );
  });

  it("a stream of events, comments and retries, cut anywhere (inside UTF-8 sequences too), reads back in order", () => {
    const message = fc.oneof(
      fc.record({ kind: fc.constant("event" as const), data: anyText.filter((d) => d !== ""), id: fc.string({ unit: "grapheme", maxLength: 20 }) }),
      fc.record({ kind: fc.constant("comment" as const), text: anyText }),
      fc.record({ kind: fc.constant("retry" as const), ms: fc.nat({ max: 100_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(message, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 20 }), (messages, cuts) => {
        const text = messages
          .map((m) => (m.kind === "event" ? encodeSseEvent({ id: m.id, data: m.data }) : m.kind === "comment" ? encodeSseComment(m.text) : encodeSseRetry(m.ms)))
          .join("");
        const parsed = parseSse(decodeInPieces(new TextEncoder().encode(text), cuts));
        expect(parsed.events).toEqual(messages.flatMap((m) => (m.kind === "event" ? [{ id: m.id, data: asRead(m.data), event: undefined }] : [])));
        expect(parsed.retries).toEqual(messages.flatMap((m) => (m.kind === "retry" ? [m.ms] : [])));
        expect(parsed.comments).toEqual(messages.flatMap((m) => (m.kind === "comment" ? m.text.split(/\r\n|\r|\n/).map((line) => ` ${line}`.slice(1)) : [])));
        expect(parsed.errors).toEqual([]);
      }),
      { numRuns: 1_000, seed: 83 },
    );
  });
});

describe.each(servers)("published events through a hub on $name, read back by eventsource-parser and over WebSocket", (factory) => {
  let served: ServedHub;
  let bytes: Buffer[] = [];
  let request: http.ClientRequest;
  let ws: WsClient;
  beforeAll(async () => {
    served = await serveHub(factory);
    await new Promise<void>((resolve, reject) => {
      request = http.get(served.server.url, { agent: false }, (response) => {
        response.on("data", (chunk: Buffer) => bytes.push(chunk));
        resolve();
      });
      request.on("error", reject);
    });
    ws = await WsClient.connect(served.server.url.replace(/^http/, "ws"));
  });
  afterAll(async () => {
    request.destroy();
    ws.close();
    await served.close();
  });

  it("any event a publisher may send arrives exactly as published plus its id: one SSE event with no event: line, one WebSocket frame", async () => {
    const key = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), nasty).filter((k) => k !== "id" && k !== "event" && k !== "__proto__");
    const event = fc.record({
      name: anyText.filter((name) => name !== ""),
      session: fc.option(anyText, { nil: undefined }),
      fields: fc.dictionary(key, fc.oneof(anyText, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 6 }),
    });
    const sent: Record<string, unknown>[] = [];
    await fc.assert(
      fc.asyncProperty(event, async ({ name, session, fields }) => {
        const published = { ...fields, event: name, ...(session === undefined ? {} : { sessionId: session }) };
        const id = await served.hub.publish(published);
        sent.push({ ...(JSON.parse(JSON.stringify(published)) as object), id });
        await until(() => ws.messages.length >= sent.length, "the WebSocket frame");
      }),
      { numRuns: 400, seed: 84 },
    );
    // Every byte the SSE stream carried, cut where the socket cut it, read by an independent parser.
    const sseCount = () => parseSse(decodeInPieces(Buffer.concat(bytes), [])).events.length;
    await until(() => sseCount() >= sent.length, "every SSE event");
    const parsed = parseSse(decodeInPieces(Buffer.concat(bytes), []));
    expect(parsed.errors).toEqual([]);
    expect(parsed.events.map((e) => ({ ...JSON.parse(e.data) }))).toEqual(sent);
    expect(parsed.events.map((e) => [e.id, e.event])).toEqual(sent.map((e) => [e.id, undefined]));
    // Only the stream's own first retry: nothing published became a retry.
    expect(parsed.retries).toHaveLength(1);
    expect(ws.messages).toEqual(sent);
  });
});

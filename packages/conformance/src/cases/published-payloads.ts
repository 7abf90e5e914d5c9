import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Harness, Transport } from "../harness.js";
import { until } from "../wait.js";

/** Strings a field-injection attack would try, mixed into fully random ones. */
const nasty = fc.constantFrom(
  '\n\ndata: {"event":"forged"}\n\n',
  "\r\rid: forged\r\r",
  "\r\nretry: 1\r\n\r\n",
  "\nevent: forged\n",
  ": comment\n",
  "\u2028\u2029",
  "\u0000",
  "\uFEFFdata: x",
  "data:",
  "\r\n",
  " leading space",
  "🎙️ é 中文 \u{10FFFF}",
  "lone surrogate \ud800",
);
const text = fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), nasty, fc.array(nasty, { maxLength: 4 }).map((parts) => parts.join("")));
const key = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), nasty).filter((k) => k !== "id" && k !== "event" && k !== "__proto__");
/** Any event a publisher may send: any name, an optional session, any fields with any JSON values. */
const publishable = fc
  .record({
    name: text.filter((name) => name !== ""),
    session: fc.option(text, { nil: undefined }),
    fields: fc.dictionary(key, fc.oneof(text, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 6 }),
  })
  .map(({ name, session, fields }) => ({ ...fields, event: name, ...(session === undefined ? {} : { sessionId: session }) }));

/**
 * docs/protocol.md#events-and-publishing and docs/protocol.md#wire-protocol: whatever a publisher
 * puts in an event reaches every stream exactly as published plus its id, through the adapter's own
 * way of writing SSE and WebSocket frames.
 */
export function publishedPayloadCases(harness: () => Harness, offered: readonly Transport[]): void {
  describe("published payloads", () => {
    it("any event a publisher may send arrives exactly as published plus its id: one SSE event with no event line, one WebSocket frame", async () => {
      const served = await harness().serve();
      const sse = await harness().sse(served.sseUrl());
      const ws = offered.includes("websocket") ? await harness().ws(served.wsUrl()) : undefined;
      const sent: Record<string, unknown>[] = [];
      await fc.assert(
        fc.asyncProperty(publishable, async (event) => {
          const id = await served.hub.publish(event);
          sent.push({ ...(JSON.parse(JSON.stringify(event)) as object), id });
          await until(() => sse.messages.length >= sent.length && (ws === undefined || ws.messages.length >= sent.length), `event ${sent.length} on every stream`);
        }),
        // 100 runs per server: the generator mixes injection strings into random ones, so fewer runs
        // still reach every kind; a failure ends the run (shrinking would publish on a broken stream).
        { numRuns: 100, seed: 84, endOnFailure: true },
      );
      expect(sse.messages).toEqual(sent);
      expect(sse.sseEvents.map(({ id, type }) => [id, type])).toEqual(sent.map(({ id }) => [id, undefined]));
      if (ws !== undefined) expect(ws.messages).toEqual(sent);
    });
  });
}

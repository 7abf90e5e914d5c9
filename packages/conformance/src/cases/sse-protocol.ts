import { EventSource } from "eventsource";
import { describe, expect, it } from "vitest";
import { openStream, publishAll, refusal, withIds, type Harness } from "../harness.js";
import { until } from "../wait.js";

const awkward = [
  "line\nbreak",
  "carriage\rreturn",
  "crlf\r\npair",
  "\n\ndata: injected\n\nid: 999\n",
  "separators \u2028 and \u2029",
  "emoji 🎙️👋🏽 and 中文",
  "lone surrogate \ud800 end",
  "",
];

/** docs/protocol.md#wire-protocol: SSE headers, framing, keepalive; the framing survives any data. */
export function sseProtocolCases(harness: () => Harness): void {
  describe("SSE protocol", () => {
    it("answers with the protocol's headers, uncompressed, and a retry line first", async () => {
      const served = await harness().serve();
      const client = await harness().sse(served.sseUrl(), { "accept-encoding": "gzip, deflate, br" });
      expect(client.status).toBe(200);
      expect(client.headers["content-type"]).toMatch(/^text\/event-stream\b/);
      expect(client.headers["cache-control"]).toBe("no-cache, no-transform");
      expect(client.headers["x-accel-buffering"]).toBe("no");
      expect([undefined, "identity"]).toContain(client.headers["content-encoding"]);
      await until(() => client.raw.length > 0, "the first bytes");
      expect(client.raw).toMatch(/^retry: \d+\n\n/);
    });

    it("frames each event as an id line and one data line, with no event line", async () => {
      const served = await harness().serve();
      const client = await harness().sse(served.sseUrl());
      const events = [{ event: "call.started", sessionId: "S1" }, { event: "bot.word", sessionId: "S1", word: "hi" }];
      const ids = await publishAll(served.hub, events);
      await client.waitForEvents(2);
      expect(client.sseEvents.map(({ id, type, json }) => ({ id, type, json }))).toEqual(
        withIds(events, ids).map((json) => ({ id: json.id, type: undefined, json })),
      );
      const frames = client.raw.split("\n\n").filter((frame) => frame.startsWith("id:"));
      expect(frames).toEqual(ids.map((id, i) => `id: ${id}\ndata: ${JSON.stringify({ ...events[i], id })}`));
    });

    it("keeps every event whole whatever its strings hold (CR, LF, CRLF, U+2028, emoji, lone surrogates)", async () => {
      const served = await harness().serve();
      const client = await harness().sse(served.sseUrl());
      const events = awkward.map((text, index) => ({ event: "user.message", text, index }));
      const ids = await publishAll(served.hub, events);
      await client.waitForEvents(events.length);
      expect(client.parser.events).toHaveLength(events.length);
      expect(client.messages).toEqual(withIds(events, ids).map((e) => JSON.parse(JSON.stringify(e))));
      expect(client.raw).not.toMatch(/\r/);
      expect(client.raw).not.toMatch(/[\u2028\u2029]/);
    });

    it("serves a query of 2,000 event patterns, filtered by them, and refuses a 600-character session with 400 bad_request", async () => {
      // A request line of about 14 KB: under Node's 16 KB header limit, which bounds the patterns.
      const served = await harness().serve();
      const patterns = Array.from({ length: 2_000 }, (_, i) => `e${i}*`).join(",");
      const client = await openStream(harness(), "sse", served, `events=${patterns}`);
      expect(await refusal(harness(), "sse", served, `session=${"s".repeat(600)}`)).toEqual({
        status: 400,
        body: { error: "bad_request", message: '"session" must be 1 to 512 characters' },
      });
      const events = [{ event: "f.x" }, { event: "x.e1" }, { event: "e1999.x" }];
      const ids = await publishAll(served.hub, events);
      await client.waitForMessages(1);
      expect(client.messages).toEqual(withIds([events[2]!], [ids[2]!]));
    });

    it("sends a keepalive comment every heartbeatMs", async () => {
      const served = await harness().serve({ heartbeatMs: 40 });
      const client = await harness().sse(served.sseUrl());
      await until(() => client.parser.comments.filter((c) => c === "keepalive").length >= 3, "three keepalives");
      expect(client.parser.events).toEqual([]);
    });

    it("serves a real EventSource: onmessage sees every event with its id, and resumes from lastEventId", async () => {
      const served = await harness().serve();
      const received: { data: unknown; lastEventId: string; type: string }[] = [];
      const source = new EventSource(served.sseUrl());
      harness().defer(() => source.close());
      source.onmessage = (message) => received.push({ data: JSON.parse(message.data), lastEventId: message.lastEventId, type: message.type });
      await new Promise<void>((resolve, reject) => {
        source.onopen = () => resolve();
        source.onerror = (error) => reject(new Error(`EventSource failed: ${error.message}`));
      });
      const events = [{ event: "call.started", sessionId: "S" }, { event: "bot.word", text: "a\nb" }, { event: "call.ended", sessionId: "S" }];
      const ids = await publishAll(served.hub, events);
      await until(() => received.length === 3, "three EventSource messages");
      expect(received).toEqual(withIds(events, ids).map((data) => ({ data, lastEventId: data.id, type: "message" })));

      const resumed: unknown[] = [];
      const again = new EventSource(served.sseUrl(`lastEventId=${encodeURIComponent(ids[0]!)}`));
      harness().defer(() => again.close());
      again.onmessage = (message) => resumed.push(JSON.parse(message.data));
      await until(() => resumed.length === 2, "the two events after the first");
      expect(resumed).toEqual(withIds(events, ids).slice(1));
    });

    it("takes the Last-Event-ID header on SSE, as EventSource sends it", async () => {
      const served = await harness().serve();
      const ids = await publishAll(served.hub, [{ event: "a" }, { event: "b" }, { event: "c" }]);
      const client = await harness().sse(served.sseUrl(), { "last-event-id": ids[0]! });
      await client.waitForEvents(2);
      expect(client.messages).toEqual(withIds([{ event: "a" }, { event: "b" }, { event: "c" }], ids).slice(1));
    });

    it("takes the Last-Event-ID header over a lastEventId in the query, as an EventSource reconnecting sends both", async () => {
      const served = await harness().serve();
      const events = [{ event: "a" }, { event: "b" }, { event: "c" }, { event: "d" }];
      const ids = await publishAll(served.hub, events);
      const client = await harness().sse(served.sseUrl(`lastEventId=${encodeURIComponent(ids[0]!)}`), { "last-event-id": ids[2]! });
      const live = await served.hub.publish({ event: "e" });
      await client.waitForEvents(2);
      expect(client.messages).toEqual([...withIds(events, ids).slice(3), { event: "e", id: live }]);
    });

    it("answers a CORS preflight so a fetch-based client may send Authorization", async () => {
      const served = await harness().serve();
      const response = await fetch(served.sseUrl(), {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "GET", "access-control-request-headers": "authorization, last-event-id" },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("access-control-allow-headers")).toBe("authorization, last-event-id");
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    });
  });
}

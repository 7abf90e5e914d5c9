import { EventSource } from "eventsource";
import { describe, expect, it } from "vitest";
import { publishAll, refusal, transports, withIds, type Harness, type Transport } from "../harness.js";
import { until } from "../wait.js";

/**
 * docs/protocol.md#wire-protocol, "Event lines": an opt-in `event:` line per SSE event (hub option
 * `eventLines`, query `eventLines=1|0`), so that a plain EventSource can `addEventListener` by name.
 */
export function sseEventLineCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe("SSE event lines (opt-in)", () => {
    it("names each event with an event line when the hub turns them on", async () => {
      const served = await harness().serve({ eventLines: true });
      const client = await harness().sse(served.sseUrl());
      const events = [{ event: "call.started", sessionId: "S1" }, { event: "bot.word", sessionId: "S1", word: "hi" }];
      const ids = await publishAll(served.hub, events);
      await client.waitForEvents(2);
      const frames = client.raw.split("\n\n").filter((frame) => frame.startsWith("id:"));
      expect(frames).toEqual(ids.map((id, i) => `id: ${id}\nevent: ${events[i]!.event}\ndata: ${JSON.stringify({ ...events[i], id })}`));
    });

    it("lets a real EventSource addEventListener by name; onmessage then sees none of those events", async () => {
      const served = await harness().serve();
      const named: { type: string; data: unknown; lastEventId: string }[] = [];
      const unnamed: unknown[] = [];
      const source = new EventSource(served.sseUrl("eventLines=1"));
      harness().defer(() => source.close());
      for (const name of ["call.started", "bot.word"]) {
        source.addEventListener(name, (message) => named.push({ type: message.type, data: JSON.parse(message.data), lastEventId: message.lastEventId }));
      }
      source.onmessage = (message) => unnamed.push(JSON.parse(message.data));
      await new Promise<void>((resolve, reject) => {
        source.onopen = () => resolve();
        source.onerror = (error) => reject(new Error(`EventSource failed: ${error.message}`));
      });
      const events = [{ event: "call.started", sessionId: "S" }, { event: "bot.word", text: "a\nb" }, { event: "bot.word", text: "c" }];
      const ids = await publishAll(served.hub, events);
      await until(() => named.length === 3, "three named EventSource messages");
      expect(named).toEqual(withIds(events, ids).map((data) => ({ type: data.event, data, lastEventId: data.id })));
      expect(unnamed).toEqual([]);
    });

    it("names control events too, so a gap reaches addEventListener(\"gap\")", async () => {
      const served = await harness().serve();
      await publishAll(served.hub, [{ event: "a" }]);
      const client = await harness().sse(served.sseUrl("eventLines=1&lastEventId=not-an-id"));
      await until(() => client.sseEvents.length >= 2, "a gap, then the retained event");
      expect(client.sseEvents.map((event) => [event.type, (event.json as { event: string }).event])).toEqual([["gap", "gap"], ["a", "a"]]);
    });

    it("is off per connection with eventLines=0 on a hub that turns it on, and off by default", async () => {
      const served = await harness().serve({ eventLines: true });
      const off = await harness().sse(served.sseUrl("eventLines=0"));
      const plain = await harness().sse((await harness().serve()).sseUrl());
      const [id] = await publishAll(served.hub, [{ event: "a" }]);
      await off.waitForEvents(1);
      expect(off.sseEvents.map(({ id, type }) => ({ id, type }))).toEqual([{ id, type: undefined }]);
      expect(plain.raw).not.toMatch(/^event:/m);
    });

    it("sends a name SSE cannot carry (CR, LF) without an event line, the event whole in its data", async () => {
      const served = await harness().serve({ eventLines: true });
      const client = await harness().sse(served.sseUrl());
      const events = [{ event: "two\nlines" }, { event: "ok" }];
      const ids = await publishAll(served.hub, events);
      await client.waitForEvents(2);
      expect(client.sseEvents.map(({ type, json }) => ({ type, json }))).toEqual(withIds(events, ids).map((json) => ({ type: json.event === "ok" ? "ok" : undefined, json })));
    });

    it("refuses an eventLines value other than 1, 0, true or false as a bad query", async () => {
      const served = await harness().serve();
      expect(await refusal(harness(), "sse", served, "eventLines=yes")).toMatchObject({ status: 400, body: { error: "bad_request" } });
      if (offered.includes("websocket")) expect(await refusal(harness(), "websocket", served, "eventLines=yes")).toEqual({ close: 4400 });
    });
  });
}

import { describe, expect, it } from "vitest";
import { openStream, publishAll, transports, withIds, type Harness, type Transport } from "../harness.js";

/** Two calls interleaved, with a call.started and call.ended around each one's words. */
const calls = () => [
  { event: "call.started", callId: "CA_1" },
  { event: "bot.word", callId: "CA_1", word: "hello" },
  { event: "call.started", callId: "CA_2" },
  { event: "bot.word", callId: "CA_2", word: "hi" },
  { event: "bot.word", callId: "CA_1", word: "there" },
  { event: "llm.tool_result", callId: "CA_1", result: 42 },
  { event: "call.ended", callId: "CA_2" },
];

/**
 * docs/protocol.md#resume, "Late join": `lastEventId=earliest` replays every retained event of the
 * view, oldest first, then live ones, with no gap; `hub.cursor()` resumes exactly from the moment
 * it was called.
 */
export function lateJoinCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe.each(offered)("late join over %s", (transport) => {
    it("earliest: every retained event, oldest first, then live ones, no gap", async () => {
      const served = await harness().serve({ sessionKey: "callId" });
      const events = calls().filter((event) => event.event !== "llm.tool_result");
      const ids = await publishAll(served.hub, events);
      const client = await openStream(harness(), transport, served, "lastEventId=earliest");
      await client.waitForEvents(events.length);
      const live = await served.hub.publish({ event: "call.ended", callId: "CA_1" });
      await client.waitForMessages(events.length + 1);
      expect(client.messages).toEqual([...withIds(events, ids), { event: "call.ended", callId: "CA_1", id: live }]);
    });

    it("earliest obeys the view as live events do: session, event filter, opt-in events", async () => {
      const served = await harness().serve({ sessionKey: "callId", optIn: ["llm.tool_result"] });
      const events = calls();
      const ids = await publishAll(served.hub, events);
      const all = withIds(events, ids);
      const bySession = await openStream(harness(), transport, served, "session=CA_1&lastEventId=earliest");
      const byName = await openStream(harness(), transport, served, "events=bot.*&include=llm.tool_result&lastEventId=earliest");
      await bySession.waitForEvents(3);
      await byName.waitForEvents(4);
      const live = await served.hub.publish({ event: "bot.word", callId: "CA_1", word: "again" });
      await bySession.waitForEvents(4);
      await byName.waitForEvents(5);
      const again = { event: "bot.word", callId: "CA_1", word: "again", id: live };
      expect(bySession.messages).toEqual([...all.filter((e) => e.callId === "CA_1" && e.event !== "llm.tool_result"), again]);
      expect(byName.messages).toEqual([...all.filter((e) => e.event === "bot.word" || e.event === "llm.tool_result"), again]);
    });

    it("earliest on an empty history: nothing replayed, no gap, then live events", async () => {
      const served = await harness().serve();
      const client = await openStream(harness(), transport, served, "lastEventId=earliest");
      const live = await served.hub.publish({ event: "first" });
      await client.waitForMessages(1);
      expect(client.messages).toEqual([{ event: "first", id: live }]);
    });

    it("earliest after the history moved on: the oldest retained onwards, no gap", async () => {
      const served = await harness().serve({ history: { maxEvents: 3 } });
      const events = Array.from({ length: 300 }, (_, index) => ({ event: "tick", index }));
      const ids = await publishAll(served.hub, events);
      const client = await openStream(harness(), transport, served, "lastEventId=earliest");
      await client.waitForMessages(1);
      // A bus may keep a little more than maxEvents, never less: a contiguous suffix, at least 3 long.
      const start = ids.indexOf(client.messages[0]!.id as string);
      expect(start).toBeGreaterThan(0);
      expect(300 - start).toBeGreaterThanOrEqual(3);
      await client.waitForEvents(300 - start);
      const live = await served.hub.publish({ event: "after" });
      await client.waitForMessages(300 - start + 1);
      expect(client.messages).toEqual([...withIds(events, ids).slice(start), { event: "after", id: live }]);
    });

    it("resumes exactly from hub.cursor(), before any event and after some", async () => {
      const served = await harness().serve();
      const empty = await served.hub.cursor();
      const before = await publishAll(served.hub, [{ event: "a" }, { event: "b" }]);
      const cursor = await served.hub.cursor();
      const after = await publishAll(served.hub, [{ event: "c" }]);
      const fromEmpty = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(empty)}`);
      const fromCursor = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(cursor)}`);
      const live = await served.hub.publish({ event: "d" });
      await fromEmpty.waitForEvents(4);
      await fromCursor.waitForEvents(2);
      expect(fromEmpty.messages).toEqual(withIds([{ event: "a" }, { event: "b" }, { event: "c" }, { event: "d" }], [...before, ...after, live]));
      expect(fromCursor.messages).toEqual(withIds([{ event: "c" }, { event: "d" }], [...after, live]));
    });
  });

  if (offered.includes("sse")) {
    it("takes Last-Event-ID: earliest in the header, over a lastEventId in the query", async () => {
      const served = await harness().serve();
      const ids = await publishAll(served.hub, [{ event: "a" }, { event: "b" }]);
      const client = await harness().sse(served.sseUrl(`lastEventId=${encodeURIComponent(ids[1]!)}`), { "last-event-id": "earliest" });
      await client.waitForEvents(2);
      expect(client.messages).toEqual(withIds([{ event: "a" }, { event: "b" }], ids));
    });
  }
}

import { describe, expect, it } from "vitest";
import { openStream, publishAll, transports, withIds, type Harness, type Transport } from "../harness.js";

const words = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ event: "bot.word", sessionId: i % 2 ? "S1" : "S2", index: from + i }));

/** docs/protocol.md#resume: nothing lost, nothing repeated, no silent gap. */
export function resumeCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe.each(offered)("resume over %s", (transport) => {
    it("replays every retained event after lastEventId, then live ones, none twice", async () => {
      const served = await harness().serve();
      const events = words(6);
      const ids = await publishAll(served.hub, events.slice(0, 4));
      const client = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(ids[1]!)}`);
      await client.waitForEvents(2);
      ids.push(...(await publishAll(served.hub, events.slice(4))));
      await client.waitForEvents(4);
      expect(client.messages).toEqual(withIds(events, ids).slice(2));
    });

    it("replays only what the connection's session and filter match", async () => {
      const served = await harness().serve();
      const events = [...words(6), { event: "call.ended", sessionId: "S1" }];
      const ids = await publishAll(served.hub, events);
      const client = await openStream(harness(), transport, served, `session=S1&events=bot.*&lastEventId=${encodeURIComponent(ids[0]!)}`);
      await client.waitForEvents(3);
      const live = await served.hub.publish({ event: "bot.word", sessionId: "S1", index: 99 });
      await client.waitForEvents(4);
      expect(client.messages).toEqual([...withIds(events, ids).slice(1).filter((e) => e.sessionId === "S1" && e.event === "bot.word"), { event: "bot.word", sessionId: "S1", index: 99, id: live }]);
    });

    it("replays nothing and sends no gap when resuming at the newest id", async () => {
      const served = await harness().serve();
      const ids = await publishAll(served.hub, words(3));
      const client = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(ids[2]!)}`);
      const live = await served.hub.publish({ event: "after" });
      await client.waitForMessages(1);
      expect(client.messages).toEqual([{ event: "after", id: live }]);
    });

    it.each([["malformed", "not an id!"], ["empty-looking", "-"], ["huge", "9".repeat(60)]])("starts with a gap, then the oldest retained event, for a %s id", async (_kind, lastEventId) => {
      const served = await harness().serve();
      const events = words(3);
      const ids = await publishAll(served.hub, events);
      const client = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(lastEventId)}`);
      await client.waitForMessages(4);
      expect(client.messages).toEqual([{ event: "gap", lastEventId, reason: "unknown" }, ...withIds(events, ids)]);
    });

    it("starts with a gap when the id is older than the history, then the oldest retained", async () => {
      const served = await harness().serve({ history: { maxEvents: 3 } });
      const events = words(400);
      const ids = await publishAll(served.hub, events);
      const client = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(ids[0]!)}`);
      await client.waitForMessages(2);
      const [gap, ...rest] = client.messages;
      expect(gap).toEqual({ event: "gap", lastEventId: ids[0], reason: "expired" });
      // A bus may keep a little more than maxEvents, never less: what follows is a contiguous
      // suffix of what was published, at least maxEvents long, and not starting at the next event.
      const start = ids.indexOf(rest[0]!.id as string);
      expect(start).toBeGreaterThan(1);
      await client.waitForEvents(400 - start);
      expect(client.events).toEqual(withIds(events, ids).slice(start));
      expect(400 - start).toBeGreaterThanOrEqual(3);
    });

    it("resumes an id issued by another hub on the same bus, or sends a gap for an earlier run's id", async () => {
      const first = await harness().serve({}, "shared-resume");
      const ids = await publishAll(first.hub, words(3));
      await first.hub.close();
      const second = await harness().serve({}, "shared-resume");
      const client = await openStream(harness(), transport, second, `lastEventId=${encodeURIComponent(ids[0]!)}`);
      const live = await second.hub.publish({ event: "after" });
      if (harness().sharedBus) {
        await client.waitForEvents(3);
        expect(client.messages).toEqual([...withIds(words(3), ids).slice(1), { event: "after", id: live }]);
      } else {
        await client.waitForMessages(2);
        expect(client.messages).toEqual([{ event: "gap", lastEventId: ids[0], reason: "reset" }, { event: "after", id: live }]);
      }
    });

    it("loses and repeats nothing when resuming while events keep arriving", async () => {
      const served = await harness().serve();
      const events = words(600);
      const ids: string[] = [];
      let resumeAt = "";
      const publishing = (async () => {
        for (const [i, event] of events.entries()) {
          ids.push(await served.hub.publish(event));
          if (i === 150) resumeAt = ids[i]!;
          if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      while (resumeAt === "") await new Promise((resolve) => setImmediate(resolve));
      const client = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(resumeAt)}`);
      await publishing;
      await client.waitForEvents(600 - 151);
      expect(client.messages).toEqual(withIds(events, ids).slice(151));
    });

    it("paces a replay larger than maxBufferedBytes instead of closing it as a slow reader", async () => {
      const served = await harness().serve({ limits: { maxBufferedBytes: 64 * 1024 } });
      const events = Array.from({ length: 400 }, (_, i) => ({ event: "bot.word", index: i, pad: "x".repeat(2000) }));
      const ids = await publishAll(served.hub, events);
      const client = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(ids[0]!)}`);
      await client.waitForEvents(399, 15_000);
      const live = await served.hub.publish({ event: "after" });
      await client.waitForEvents(400);
      expect(client.messages).toEqual([...withIds(events, ids).slice(1), { event: "after", id: live }]);
      expect((await served.hub.stats()).events.dropped).toBe(0);
    });
  });
}

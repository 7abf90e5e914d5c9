import { describe, expect, it } from "vitest";
import { openStream, publishAll, transports, withIds, type Harness, type Transport } from "../harness.js";
import { namedMerges } from "../merges.js";

const word = (callId: string, text: string) => ({ event: "bot.word", callId, word: text });
const compacted = { sessionKey: "callId", compact: { "bot.word": namedMerges["join-words"]! } };

/**
 * docs/protocol.md#resume, "Replay compaction": during a replay only, a run of consecutive words
 * of one session goes out as one merged event with the id of the run's last word, in its place;
 * a resume from that id continues exactly; live events are never merged.
 */
export function replayCompactionCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe.each(offered)("replay compaction over %s", (transport) => {
    it("merges each run of one session's words in a replay, in the place and with the id of its last word; live words go one by one", async () => {
      const served = await harness().serve(compacted);
      const events = [
        { event: "call.started", callId: "CA_1" },
        word("CA_1", "hello"),
        word("CA_1", "there"),
        word("CA_1", "friend"),
        { event: "call.started", callId: "CA_2" },
        word("CA_2", "hi"),
        word("CA_2", "you"),
        word("CA_1", "bye"),
      ];
      const ids = await publishAll(served.hub, events);
      const client = await openStream(harness(), transport, served, "lastEventId=earliest");
      await client.waitForEvents(5);
      const live = await publishAll(served.hub, [word("CA_1", "live"), word("CA_1", "words")]);
      await client.waitForEvents(7);
      expect(client.messages).toEqual([
        { event: "call.started", callId: "CA_1", id: ids[0] },
        { event: "bot.word", callId: "CA_1", word: "hello there friend", words: 3, id: ids[3] },
        { event: "call.started", callId: "CA_2", id: ids[4] },
        { event: "bot.word", callId: "CA_2", word: "hi you", words: 2, id: ids[6] },
        { event: "bot.word", callId: "CA_1", word: "bye", id: ids[7] },
        ...withIds([word("CA_1", "live"), word("CA_1", "words")], live),
      ]);
    });

    it("resumes exactly after a merged event, and merges the rest of a run a resume starts inside", async () => {
      const served = await harness().serve(compacted);
      const events = [word("CA_1", "one"), word("CA_1", "two"), word("CA_1", "three"), { event: "call.ended", callId: "CA_1" }, word("CA_2", "a"), word("CA_2", "b")];
      const ids = await publishAll(served.hub, events);
      const afterRun = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(ids[2]!)}`);
      const insideRun = await openStream(harness(), transport, served, `session=CA_1&lastEventId=${encodeURIComponent(ids[0]!)}`);
      await afterRun.waitForEvents(2);
      await insideRun.waitForEvents(2);
      expect(afterRun.messages).toEqual([
        { event: "call.ended", callId: "CA_1", id: ids[3] },
        { event: "bot.word", callId: "CA_2", word: "a b", words: 2, id: ids[5] },
      ]);
      expect(insideRun.messages).toEqual([
        { event: "bot.word", callId: "CA_1", word: "two three", words: 2, id: ids[2] },
        { event: "call.ended", callId: "CA_1", id: ids[3] },
      ]);
    });
  });
}

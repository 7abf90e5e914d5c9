import { describe, expect, it } from "vitest";
import { openStream, publishAll, transports, withIds, type Harness, type Transport } from "../harness.js";

const trace = [
  { event: "call.started", callId: "CA_1", from: "+1555" },
  { event: "call.started", callId: "CA_2", from: "+1666" },
  { event: "agent.status", status: "busy" },
  { event: "bot.word", callId: "CA_1", word: "hello" },
  { event: "llm.tool_call", callId: "CA_2", name: "lookup" },
  { event: "llm.tool_result", callId: "CA_2", name: "lookup", result: { ok: true } },
  { event: "bot.word", callId: "CA_2", word: "hi" },
  { event: "call.ended", callId: "CA_1", reason: "hangup" },
];
const options = { sessionKey: "callId", optIn: ["llm.tool_result"] };

/** docs/protocol.md#events-and-publishing, docs/protocol.md#wire-protocol and docs/protocol.md#sessions-scopes-and-authorization: every event once, in publish order, to exactly the connections that asked for it. */
export function deliveryCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe.each(offered)("delivery over %s", (transport) => {
    it("sends every event, in publish order, as the published object plus its id", async () => {
      const served = await harness().serve(options);
      const client = await openStream(harness(), transport, served);
      const expected = trace.filter((e) => e.event !== "llm.tool_result");
      const ids = await publishAll(served.hub, trace);
      await client.waitForEvents(expected.length);
      expect(client.messages).toEqual(withIds(expected, ids.filter((_, i) => trace[i]!.event !== "llm.tool_result")));
      for (let i = 1; i < ids.length; i++) expect(served.hub.bus.compareIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    });

    it("scopes a connection to one session: no other session's events, none without a session", async () => {
      const served = await harness().serve(options);
      const client = await openStream(harness(), transport, served, "session=CA_2");
      const ids = await publishAll(served.hub, trace);
      const marker = await served.hub.publish({ event: "marker", callId: "CA_2" });
      await client.waitForEvents(4);
      // CA_2's events; the opt-in tool result is not included without `include`.
      expect(client.messages).toEqual([...[1, 4, 6].map((i) => ({ ...trace[i]!, id: ids[i] })), { event: "marker", callId: "CA_2", id: marker }]);
    });

    it("filters by event names and prefixes ending in *", async () => {
      const served = await harness().serve(options);
      const client = await openStream(harness(), transport, served, "events=call.*,bot.word");
      const ids = await publishAll(served.hub, trace);
      const wanted = [0, 1, 3, 6, 7];
      await client.waitForEvents(wanted.length);
      await served.hub.publish({ event: "call", callId: "CA_9" }); // "call" does not start with "call."
      const last = await served.hub.publish({ event: "call.x" });
      await client.waitForEvents(wanted.length + 1);
      expect(client.messages).toEqual([...wanted.map((i) => ({ ...trace[i]!, id: ids[i] })), { event: "call.x", id: last }]);
    });

    it("sends opt-in events only to connections that include them", async () => {
      const served = await harness().serve(options);
      const plain = await openStream(harness(), transport, served, "session=CA_2");
      const including = await openStream(harness(), transport, served, "session=CA_2&include=llm.tool_result");
      const onlyResults = await openStream(harness(), transport, served, "events=nothing.matches&include=llm.*");
      const ids = await publishAll(served.hub, trace);
      await including.waitForEvents(4);
      await onlyResults.waitForEvents(1);
      await plain.waitForEvents(3);
      expect(including.messages).toEqual([1, 4, 5, 6].map((i) => ({ ...trace[i]!, id: ids[i] })));
      expect(onlyResults.messages).toEqual([{ ...trace[5]!, id: ids[5] }]);
      expect(plain.messages).toEqual([1, 4, 6].map((i) => ({ ...trace[i]!, id: ids[i] })));
    });

    it("keeps sessions apart with many connections and interleaved events", async () => {
      const served = await harness().serve({ sessionKey: "callId" });
      const sessions = ["A", "B", "C", "D"];
      const clients = await Promise.all(sessions.map((s) => openStream(harness(), transport, served, `session=${s}`)));
      const all = await openStream(harness(), transport, served);
      const events = Array.from({ length: 200 }, (_, i) => ({ event: "bot.word", callId: sessions[(i * 7) % 4]!, index: i }));
      const ids = await publishAll(served.hub, events);
      await all.waitForEvents(200);
      for (const [n, session] of sessions.entries()) {
        const expected = withIds(events, ids).filter((e) => e.callId === session);
        await clients[n]!.waitForEvents(expected.length);
        expect(clients[n]!.messages).toEqual(expected);
      }
      expect(all.messages).toEqual(withIds(events, ids));
    });

    it("publishes what an attached EventEmitter and a piped async iterable produce", async () => {
      const { EventEmitter } = await import("node:events");
      const served = await harness().serve(options);
      const client = await openStream(harness(), transport, served);
      const agent = new EventEmitter();
      const detach = served.hub.attach(agent, { events: ["call.started", "bot.word"] });
      agent.emit("call.started", { callId: "CA_7", from: "+1" });
      agent.emit("ignored.event", { callId: "CA_7" });
      agent.emit("bot.word", { callId: "CA_7", word: "yes" });
      detach();
      agent.emit("bot.word", { callId: "CA_7", word: "after detach" });
      async function* model() {
        yield { type: "text-delta", delta: "Hel" };
        yield { type: "text-delta", delta: "lo" };
      }
      await served.hub.pipe(model(), { map: (chunk) => ({ event: `llm.${chunk.type}`, callId: "CA_7", delta: chunk.delta }) });
      await client.waitForEvents(4);
      expect(client.messages.map(({ id, ...rest }) => (expect(typeof id).toBe("string"), rest))).toEqual([
        { callId: "CA_7", from: "+1", event: "call.started" },
        { callId: "CA_7", word: "yes", event: "bot.word" },
        { event: "llm.text-delta", callId: "CA_7", delta: "Hel" },
        { event: "llm.text-delta", callId: "CA_7", delta: "lo" },
      ]);
    });

    it("counts connections and events in stats()", async () => {
      const served = await harness().serve(options);
      const a = await openStream(harness(), transport, served, "session=CA_1");
      const b = await openStream(harness(), transport, served);
      const before = (await served.hub.stats());
      expect(before.connections).toEqual(transport === "sse" ? { sse: 2, websocket: 0 } : { sse: 0, websocket: 2 });
      await publishAll(served.hub, trace);
      await a.waitForEvents(3);
      await b.waitForEvents(7);
      expect((await served.hub.stats()).events).toEqual({ published: before.events.published + 8, delivered: before.events.delivered + 10, dropped: 0 });
    });
  });
}

import fc from "fast-check";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ReplayedEvent } from "./compaction.js";
import { createHub, type Hub } from "./hub.js";
import type { HubOptions } from "./options.js";

type Word = { event: "bot.word"; callId: string; word: string };
type Message = Record<string, unknown>;

/** Joins a run of words into one event; the test expands it back to see every word is there. */
const joinWords = (run: (Word & { id: string })[]) => ({ event: "bot.word", callId: run[0]!.callId, word: run.map((w) => w.word).join(" "), words: run.length });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A hub on a node:http server; `open(query)` reads an SSE stream into `messages`, `stopAt` cuts it after that many. */
async function serve(options: HubOptions = {}) {
  const errors: string[] = [];
  const hub: Hub = createHub({ authorize: true, sessionKey: "callId", compact: { "bot.word": joinWords }, logger: { warn() {}, error: (m) => errors.push(m) }, ...options });
  const server = http.createServer((req, res) => void hub.sse(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
  const open = (query: string, stopAt = Infinity) =>
    new Promise<{ messages: Message[]; ended: Promise<void> }>((resolve) => {
      const messages: Message[] = [];
      let buffer = "";
      const request = http.get(`http://127.0.0.1:${port}/events?${query}`, { agent: false }, (response) => {
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0 && messages.length < stopAt) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split("\n").filter((line) => line.startsWith("data: "));
            if (data.length > 0) messages.push(JSON.parse(data.map((line) => line.slice(6)).join("\n")) as Message);
          }
          if (messages.length >= stopAt) request.destroy(); // the client goes away mid-replay
        });
        resolve({ messages, ended: new Promise((done) => response.once("close", () => done())) });
      });
      request.on("error", () => {});
      cleanups.push(() => void request.destroy());
    });
  return { hub, open, errors };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const word = (callId: string, text: string): Word => ({ event: "bot.word", callId, word: text });

describe("replay compaction (docs/protocol.md#resume)", () => {
  it("sends a run of one session's words as one merged event, with the id of its last word, in its place", async () => {
    const { hub, open } = await serve();
    const events = [
      { event: "call.started", callId: "CA_1" },
      word("CA_1", "hello"),
      word("CA_1", "there"),
      word("CA_1", "friend"),
      { event: "call.started", callId: "CA_2" },
      word("CA_2", "hi"),
      word("CA_1", "again"),
      { event: "call.ended", callId: "CA_1" },
    ];
    const ids: string[] = [];
    for (const event of events) ids.push(await hub.publish(event));
    const client = await open("lastEventId=earliest");
    await until(() => client.messages.length === 6, "the compacted replay");
    const live = [await hub.publish(word("CA_1", "live")), await hub.publish(word("CA_1", "words"))];
    await until(() => client.messages.length === 8, "the live words");
    expect(client.messages).toEqual([
      { event: "call.started", callId: "CA_1", id: ids[0] },
      { event: "bot.word", callId: "CA_1", word: "hello there friend", words: 3, id: ids[3] },
      { event: "call.started", callId: "CA_2", id: ids[4] },
      // Single words: no run to merge, sent as published.
      { event: "bot.word", callId: "CA_2", word: "hi", id: ids[5] },
      { event: "bot.word", callId: "CA_1", word: "again", id: ids[6] },
      { event: "call.ended", callId: "CA_1", id: ids[7] },
      // Live events are never merged.
      { event: "bot.word", callId: "CA_1", word: "live", id: live[0] },
      { event: "bot.word", callId: "CA_1", word: "words", id: live[1] },
    ]);
  });

  it("ends a run at any other event the connection is sent, another session's included; merges across events the view leaves out", async () => {
    const { hub, open } = await serve();
    const events = [word("CA_1", "a"), word("CA_2", "x"), word("CA_1", "b"), word("CA_1", "c"), word("CA_2", "y"), word("CA_2", "z")];
    const ids: string[] = [];
    for (const event of events) ids.push(await hub.publish(event));
    const all = await open("lastEventId=earliest");
    const one = await open("session=CA_1&lastEventId=earliest");
    await until(() => all.messages.length === 4 && one.messages.length === 1, "both replays");
    expect(all.messages).toEqual([
      { ...word("CA_1", "a"), id: ids[0] },
      { ...word("CA_2", "x"), id: ids[1] },
      { event: "bot.word", callId: "CA_1", word: "b c", words: 2, id: ids[3] },
      { event: "bot.word", callId: "CA_2", word: "y z", words: 2, id: ids[5] },
    ]);
    expect(one.messages).toEqual([{ event: "bot.word", callId: "CA_1", word: "a b c", words: 3, id: ids[3] }]);
  });

  it("resumes from a merged event's id exactly where its run ended", async () => {
    const { hub, open } = await serve();
    const ids: string[] = [];
    for (const text of ["one", "two", "three"]) ids.push(await hub.publish(word("CA_1", text)));
    ids.push(await hub.publish({ event: "call.ended", callId: "CA_1" }));
    const first = await open("lastEventId=earliest", 1);
    await first.ended;
    expect(first.messages).toEqual([{ event: "bot.word", callId: "CA_1", word: "one two three", words: 3, id: ids[2] }]);
    const again = await open(`lastEventId=${ids[2]}`);
    await until(() => again.messages.length === 1, "the rest");
    expect(again.messages).toEqual([{ event: "call.ended", callId: "CA_1", id: ids[3] }]);
  });

  it("gives the merge the run as published, each with its id, and sets the merged event's id itself", async () => {
    const runs: ReplayedEvent[][] = [];
    const { hub, open } = await serve({ compact: { "bot.word": (run) => (runs.push(run), { ...run.at(-1)!, id: "mine", word: "merged" }) } });
    const ids = [await hub.publish(word("CA_1", "a")), await hub.publish(word("CA_1", "b"))];
    const client = await open(`lastEventId=earliest`);
    await until(() => client.messages.length === 1, "the merged word");
    expect(runs).toEqual([[{ ...word("CA_1", "a"), id: ids[0] }, { ...word("CA_1", "b"), id: ids[1] }]]);
    expect(client.messages).toEqual([{ ...word("CA_1", "merged"), id: ids[1] }]);
  });

  it("sends the run as published when the merge throws or returns what cannot be published, and logs it", async () => {
    let calls = 0;
    const { hub, open, errors } = await serve({
      compact: {
        "bot.word": () => {
          if (++calls === 1) throw new Error("boom");
          return { word: "no event name" } as never;
        },
      },
    });
    const ids: string[] = [];
    for (const event of [word("CA_1", "a"), word("CA_1", "b"), { event: "call.ended", callId: "CA_1" }, word("CA_1", "c"), word("CA_1", "d")]) ids.push(await hub.publish(event));
    const client = await open("lastEventId=earliest");
    await until(() => client.messages.length === 5, "every event");
    expect(client.messages.map((m) => m.id)).toEqual(ids);
    expect(errors).toEqual([
      '[eventwire] compact["bot.word"] failed; the run of 2 is replayed as it was published',
      '[eventwire] compact["bot.word"] failed; the run of 2 is replayed as it was published',
    ]);
  });

  it("refuses a compact option that is not an object of functions", () => {
    expect(() => createHub({ compact: { "bot.word": "join" as never } })).toThrow('createHub: compact["bot.word"] must be a function (run) => merged event, got string');
    expect(() => createHub({ compact: [] as never })).toThrow(TypeError);
  });

  it("loses and repeats nothing across reconnects at random points, whatever the interleaving of sessions (a property)", async () => {
    const sessions = ["CA_1", "CA_2", "CA_3"];
    const event = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...sessions).map((callId) => ({ event: "bot.word", callId })) },
      { weight: 1, arbitrary: fc.constantFrom(...sessions).map((callId) => ({ event: "call.note", callId })) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 40 }),
        fc.constantFrom("", "session=CA_2&"),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        async (shapes, view, cuts) => {
          const { hub, open } = await serve();
          const published: Message[] = [];
          for (const [n, shape] of shapes.entries()) {
            const sent = { ...shape, word: `w${n}` };
            published.push({ ...sent, id: await hub.publish(sent) });
          }
          const expected = published.filter((e) => view === "" || e.callId === "CA_2");
          const received: Message[] = [];
          let from = "earliest";
          for (const cut of cuts) {
            const client = await open(`${view}lastEventId=${encodeURIComponent(from)}`, cut);
            await until(() => client.messages.length >= cut || expectedLeft([...received, ...client.messages], expected) === 0, `${cut} messages`);
            if (cut === client.messages.length) await client.ended;
            received.push(...client.messages.slice(0, cut));
            from = (received.at(-1)?.id as string | undefined) ?? "earliest";
            await cleanups.pop()!(); // this connection
            if (expectedLeft(received, expected) === 0) break;
          }
          const last = await open(`${view}lastEventId=${encodeURIComponent(from)}`);
          await until(() => expectedLeft([...received, ...last.messages], expected) === 0, "the rest of the view");
          // Then live: two words of the session every view sees, each sent as it is.
          for (const text of ["live1", "live2"]) {
            const sent = { event: "bot.word", callId: "CA_2", word: text };
            expected.push({ ...sent, id: await hub.publish(sent) });
          }
          await until(() => expectedLeft([...received, ...last.messages], expected) === 0, "the live words");
          expect(last.messages.slice(-2)).toEqual(expected.slice(-2));
          received.push(...last.messages);
          // Every word of the view once, in order, once the merges are expanded; no gap.
          expect(expand(received)).toEqual(expected.map(({ id: _id, ...e }) => e));
          const ids = received.map((m) => m.id as string);
          expect(ids.every((id, i) => i === 0 || hub.bus.compareIds(ids[i - 1]!, id) < 0)).toBe(true);
          for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
        },
      ),
      { numRuns: 40, seed: 13 },
    );
  });
});

/** The received events with each merged word expanded back into the words it joined. */
function expand(received: Message[]): Message[] {
  return received.flatMap(({ id: _id, words, ...event }) => {
    if (words === undefined) return [event];
    return String(event.word).split(" ").map((text) => ({ ...event, word: text }));
  });
}

/** How many events of `expected` are not yet covered by what was received (merged ones counting as their words). */
function expectedLeft(received: Message[], expected: Message[]): number {
  return expected.length - expand(received).length;
}

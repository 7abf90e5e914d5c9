import { until, WsClient, type StreamClient } from "@eventwire/conformance";
import { createHub, type GapReason } from "@eventwire/core";
import { seededRandom } from "@eventwire/test-fixtures";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, connect, LeanSseClient, streamUrl, type Transport } from "../src/clients.js";
import { GatedBus } from "../src/gated-bus.js";
import { publishPaced, serveHub, type Published, type ServedHub } from "../src/hubs.js";
import { servers } from "../src/servers.js";

/**
 * Issue 8, "Resume edges": at the head nothing is replayed and no gap is sent; an unknown,
 * malformed, future or earlier-run id gets a `gap` and then the oldest retained match, never a
 * crash or a silent skip; a resume served while events keep arriving loses and repeats nothing.
 */
const transports: Transport[] = ["sse", "websocket"];
const seedEvents = [
  { event: "call.started", sessionId: "S1", n: 0 },
  { event: "bot.word", sessionId: "S2", n: 1 },
  { event: "system.metrics", n: 2 },
  { event: "bot.word", sessionId: "S1", n: 3 },
  { event: "call.ended", sessionId: "S2", n: 4 },
  { event: "bot.word", sessionId: "S1", n: 5 },
];

let served: ServedHub | undefined;
const clients: { close(): void }[] = [];
afterEach(async () => {
  closeAll(clients.splice(0));
  await served?.close();
  served = undefined;
});

async function open(transport: Transport, query: string, headers?: Record<string, string>): Promise<StreamClient> {
  const client = await connect(served!.server.url, transport, query, headers);
  clients.push(client);
  return client;
}

/**
 * Publishes a marker (into `published`) after the clients opened and waits for it on each: what the
 * server sent before it is then in `messages`, so a test can compare whole lists, extras included.
 */
async function throughMarker(clients: StreamClient[], published: Published[], sessionId?: string): Promise<Published> {
  const marker = { event: "marker", ...(sessionId ? { sessionId } : {}) };
  const id = await served!.hub.publish(marker);
  for (const client of clients) await until(() => client.messages.some((m) => m.id === id), "the marker");
  published.push({ ...marker, id });
  return { ...marker, id };
}

const runOf = (id: string) => id.slice(0, id.lastIndexOf("-"));
const seqOf = (id: string) => Number(id.slice(id.lastIndexOf("-") + 1));

/** The history bound of the lastEventId property: of its 12 seeded events the oldest 4 have left. */
const maxEvents = 8;

/** A lastEventId by how it is made, so its expected answer follows from its kind, not from parsing it. */
type DescribedId =
  | { kind: "retained"; back: number }
  | { kind: "expired"; position: number }
  | { kind: "future"; ahead: number }
  | { kind: "earlier run"; seq: number }
  | { kind: "malformed sequence"; sequence: string }
  | { kind: "garbage"; id: string };

const lastEventIds: fc.Arbitrary<DescribedId> = fc.oneof(
  // `back` 0 is the newest id, `maxEvents` the one just before the oldest retained event: both resume exactly.
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("retained" as const), back: fc.integer({ min: 0, max: maxEvents }) }) },
  fc.record({ kind: fc.constant("expired" as const), position: fc.nat(2) }),
  fc.record({ kind: fc.constant("future" as const), ahead: fc.nat() }),
  fc.record({ kind: fc.constant("earlier run" as const), seq: fc.nat() }),
  fc.record({
    kind: fc.constant("malformed sequence" as const),
    sequence: fc.oneof(fc.constantFrom("", "-1", "1.5", "1e1", "0x2", " 2", "2 ", "9007199254740993"), fc.string({ unit: "binary", maxLength: 20 }).filter((s) => !/^[0-9]{1,15}$/.test(s))),
  }),
  fc.record({ kind: fc.constant("garbage" as const), id: fc.string({ unit: "binary", maxLength: 64 }).filter((id) => id !== "earliest") }),
);

/**
 * The id `described` names in `published` (every event so far, ids of the hub's run), the gap
 * docs/protocol.md#resume gives it, and the events replayed after it (before the view's filter).
 */
function resolveId(described: DescribedId, published: Published[], earlierRun: string): { lastEventId: string; gap?: GapReason; replayed: Published[] } {
  const newest = published.at(-1)!.id;
  const retained = published.slice(-maxEvents);
  switch (described.kind) {
    case "retained": {
      const at = published.length - 1 - described.back;
      return { lastEventId: published[at]!.id, replayed: published.slice(at + 1) };
    }
    case "expired":
      return { lastEventId: published[described.position]!.id, gap: "expired", replayed: retained };
    case "future":
      return { lastEventId: `${runOf(newest)}-${seqOf(newest) + 1 + described.ahead}`, gap: "unknown", replayed: retained };
    case "earlier run":
      return { lastEventId: `${earlierRun}-${described.seq}`, gap: "reset", replayed: retained };
    case "malformed sequence":
      return { lastEventId: `${runOf(newest)}-${described.sequence}`, gap: "unknown", replayed: retained };
    case "garbage":
      return { lastEventId: described.id, gap: "unknown", replayed: retained };
  }
}

describe.each(servers)("resume edges on $name", (factory) => {
  describe.each(transports)("over %s", (transport) => {
    it("at the head: nothing replayed, no gap, then live events (query, and the Last-Event-ID header on SSE)", async () => {
      served = await serveHub(factory);
      const published = await publishPaced(served.hub, seedEvents);
      const head = published.at(-1)!.id;
      const viaQuery = await open(transport, `lastEventId=${encodeURIComponent(head)}`);
      const scoped = await open(transport, `session=S1&lastEventId=${encodeURIComponent(head)}`);
      const viaHeader = transport === "sse" ? await open(transport, "", { "last-event-id": head }) : undefined;
      const readers = [viaQuery, scoped, ...(viaHeader ? [viaHeader] : [])];
      const live = await served.hub.publish({ event: "bot.word", sessionId: "S1", n: 6 });
      const marker = await throughMarker(readers, published, "S1");
      for (const client of readers) expect(client.messages).toEqual([{ event: "bot.word", sessionId: "S1", n: 6, id: live }, marker]);
    });

    it("an unknown, malformed, future or earlier-run id: a gap, then every retained match, then live; the hub stays up", async () => {
      const earlier = createHub({ authorize: true, logger: { warn() {}, error() {} } });
      const earlierId = await earlier.publish({ event: "x" });
      await earlier.close();
      served = await serveHub(factory);
      const published = await publishPaced(served.hub, seedEvents);
      const head = published.at(-1)!.id;
      const run = runOf(head);
      const next = () => seqOf(published.at(-1)!.id) + 1;
      const ids: [kind: string, id: string | (() => string), reason: GapReason][] = [
        ["unknown", "evt_123", "unknown"],
        ["empty", "", "unknown"],
        ["dash", "-", "unknown"],
        ["no run", "-3", "unknown"],
        ["no sequence", `${run}-`, "unknown"],
        ["negative", `${run}--1`, "unknown"],
        ["fractional", `${run}-1.5`, "unknown"],
        ["exponent", `${run}-1e1`, "unknown"],
        ["hex", `${run}-0x2`, "unknown"],
        ["spaced", `${run}- 2`, "unknown"],
        ["too many digits", `${run}-9007199254740993`, "unknown"],
        ["NUL", "\u0000", "unknown"],
        ["newline injection", `${head}\n\ndata: {"event":"forged"}\n\n`, "unknown"],
        ["emoji", "🎙️", "unknown"],
        ["512 characters", "9".repeat(512), "unknown"],
        ["future: the next id", () => `${run}-${next()}`, "unknown"],
        ["far future", `${run}-999999999999999`, "unknown"],
        ["earlier run", earlierId, "reset"],
        ["earlier run, same sequence", `${runOf(earlierId)}-${seqOf(head)}`, "reset"],
      ];
      for (const [kind, idOrNext, reason] of ids) {
        for (const [query, wants] of [
          ["", (e: Published) => e !== undefined],
          ["session=S1&", (e: Published) => e.sessionId === "S1"],
        ] as const) {
          const lastEventId = typeof idOrNext === "string" ? idOrNext : idOrNext();
          const client = await open(transport, `${query}lastEventId=${encodeURIComponent(lastEventId)}`);
          const retained = published.filter(wants);
          const marker = await throughMarker([client], published, "S1");
          expect({ kind, query, got: client.messages }).toEqual({ kind, query, got: [{ event: "gap", lastEventId, reason }, ...retained, marker] });
          client.close();
        }
      }
      expect(served.logger.errors).toEqual([]);
    });

    it("an id over 512 characters is refused as a bad query (400 / 4400), not resumed", async () => {
      served = await serveHub(factory);
      await publishPaced(served.hub, seedEvents);
      const query = `lastEventId=${"9".repeat(513)}`;
      if (transport === "sse") {
        const client = await LeanSseClient.open(streamUrl(served.server.url, "sse", query));
        clients.push(client);
        await client.waitForEnd();
        expect([client.status, JSON.parse(client.body).error]).toEqual([400, "bad_request"]);
      } else {
        const client = new WsClient(streamUrl(served.server.url, "websocket", query));
        clients.push(client);
        expect(await client.waitForClose()).toBe(4400);
      }
    });

    it("any lastEventId (a property): a retained one replays exactly what follows it, any other gets its gap and every retained match; then live, nothing more", async () => {
      const earlier = createHub({ authorize: true, logger: { warn() {}, error() {} } });
      const earlierRun = runOf(await earlier.publish({ event: "x" }));
      await earlier.close();
      served = await serveHub(factory, { history: { maxEvents } });
      const published = await publishPaced(served.hub, [...seedEvents, ...seedEvents]);
      await fc.assert(
        fc.asyncProperty(lastEventIds, fc.constantFrom(undefined, "S1"), async (described, session) => {
          const { lastEventId, gap, replayed } = resolveId(described, published, earlierRun);
          const view = (e: Published) => session === undefined || e.sessionId === session;
          const client = await open(transport, `${session ? `session=${session}&` : ""}lastEventId=${encodeURIComponent(lastEventId)}`);
          try {
            const live = { event: "bot.word", sessionId: "S1", n: published.length };
            published.push({ ...live, id: await served!.hub.publish(live) });
            const marker = await throughMarker([client], published, "S1");
            const expected = [...(gap ? [{ event: "gap", lastEventId, reason: gap }] : []), ...replayed.filter(view), published.at(-2), marker];
            expect({ described, session, got: client.messages }).toEqual({ described, session, got: expected });
          } finally {
            client.close();
          }
        }),
        { numRuns: 40, seed: 8 },
      );
      expect(served.logger.errors).toEqual([]);
    });
  });

  it("resumes served while events keep arriving (24 of them, both transports, paced replays): no loss, no duplicate at the seam", async () => {
    // A small buffer bound makes every replay larger than it, so replays are paced by the reader.
    served = await serveHub(factory, { history: { maxEvents: 20_000 }, limits: { maxBufferedBytes: 32 * 1024 } });
    const random = seededRandom(24);
    const pad = "p".repeat(120);
    const events = Array.from({ length: 4000 }, (_, n) => (n % 7 === 0 ? { event: "system.metrics", n, pad } : { event: "bot.word", sessionId: `S${n % 4}`, n, pad }));
    const published: Published[] = [];
    const resumes: { from: number; transport: Transport; session: string | undefined; client: StreamClient }[] = [];
    const publishing = (async () => {
      for (let from = 0; from < events.length; from += 40) {
        await publishPaced(served!.hub, events.slice(from, from + 40), 40, published);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    while (resumes.length < 24) {
      await until(() => published.length > (resumes.length + 1) * 120, "more events published", 20_000);
      const from = Math.floor(random() * published.length);
      const transport: Transport = random() < 0.5 ? "sse" : "websocket";
      const session = random() < 0.5 ? `S${Math.floor(random() * 4)}` : undefined;
      const query = `${session ? `session=${session}&` : ""}lastEventId=${encodeURIComponent(published[from]!.id)}`;
      resumes.push({ from, transport, session, client: await open(transport, query) });
    }
    await publishing;
    for (const { from, transport, session, client } of resumes) {
      const expected = published.slice(from + 1).filter((e) => session === undefined || e.sessionId === session);
      await client.waitForEvents(expected.length, 30_000);
      expect({ from, transport, session, messages: client.messages }).toEqual({ from, transport, session, messages: expected });
    }
    expect(served.hub.stats().events.dropped).toBe(0);
  });
});

describe.each(servers)("resume edges when the history moves on under a replay, on $name", (factory) => {
  it.each(transports)("a replay that stalls while its next event leaves the history says so with a gap (%s), never skips silently", async (transport) => {
    const bus = new GatedBus();
    served = await serveHub(factory, { bus, history: { maxEvents: 300 } });
    const first = await publishPaced(served.hub, Array.from({ length: 300 }, (_, n) => ({ event: "bot.word", n })));
    // The first page (256 events) is served, then the next read waits while 600 more events push
    // the rest of that replay out of the history.
    bus.shutFrom(bus.reads + 2);
    const client = await open(transport, `lastEventId=${encodeURIComponent(first[0]!.id)}`);
    await client.waitForEvents(256);
    await until(() => bus.waiting === 1, "the second page to wait");
    const later = await publishPaced(served.hub, Array.from({ length: 600 }, (_, n) => ({ event: "bot.word", n: 300 + n })));
    bus.release();
    const retained = later.slice(-300);
    await client.waitForEvents(256 + 300);
    const marker = await throughMarker([client], later);
    expect(client.messages).toEqual([...first.slice(1, 257), { event: "gap", lastEventId: first[256]!.id, reason: "overrun" }, ...retained, marker]);
  });
});

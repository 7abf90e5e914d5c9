import { expect, it } from "vitest";
import type { BusHarness } from "../bus-harness.js";
import { publishConcurrently, publishInOrder } from "../recording-context.js";
import { publishAfterDeletion } from "./gaps.js";

const idsOf = (result: { events: readonly { id: string }[] }): string[] => result.events.map((event) => event.id);

/**
 * `cursor()` (what `hub.cursor()` hands a server-rendered page, docs/protocol.md#resume): an id
 * that resumes exactly after the newest event, on any bus of the stream, also before the first.
 */
export function cursorCases(current: () => BusHarness): void {
  it("cursor() resumes exactly after the newest event: before the first, between publishes, and on another bus of the stream", async () => {
    const h = current();
    const { bus: a, stream } = await h.open();
    const { bus: b } = await h.open({ stream });
    const empty = await a.cursor();
    expect(await a.read(empty, 100)).toStrictEqual({ events: [] });
    expect(await b.cursor()).toBe(empty); // nothing published: the same point

    const first = await publishConcurrently(a, 1, 3, "S1");
    const fromEmpty = await b.read(empty, 100);
    expect(fromEmpty.gap).toBeUndefined();
    expect(idsOf(fromEmpty)).toEqual(first);

    const middle = await b.cursor();
    expect(middle).toBe(first[2]);
    const second = [...(await publishInOrder(b, 4, 2, "S1")), ...(await publishConcurrently(a, 6, 2))];
    for (const bus of [a, b]) {
      const fromMiddle = await bus.read(middle, 100);
      expect(fromMiddle.gap).toBeUndefined();
      expect(idsOf(fromMiddle)).toEqual(second);
    }
    expect(await a.read(await a.cursor(), 100)).toStrictEqual({ events: [] });
    expect(await a.cursor()).toBe(second.at(-1));
  });

  it("cursor() of a deleted stream resumes exactly from the first event of the stream created anew", async () => {
    const h = current();
    const { bus, stream } = await h.open();
    const old = await publishConcurrently(bus, 1, 3, "S1");
    await h.options.engine.deleteStream(stream);
    const cursor = await bus.cursor();
    expect(old).not.toContain(cursor);
    expect(await bus.read(cursor, 100)).toStrictEqual({ events: [] });
    const fresh = [await publishAfterDeletion(h, bus, 4), ...(await publishInOrder(bus, 5, 2, "S1"))];
    const fromCursor = await bus.read(cursor, 100);
    expect(fromCursor.gap).toBeUndefined();
    expect(idsOf(fromCursor)).toEqual(fresh);
    expect(await bus.read(old[2], 100)).toEqual({ gap: "reset", events: fromCursor.events });
  });
}

import { expect, it } from "vitest";
import type { BusHarness } from "../bus-harness.js";
import { ns, publishConcurrently } from "../recording-context.js";

/** History: what a resume reads, from the oldest or after an id, in pages, within the hub's bounds. */
export function historyCases(current: () => BusHarness): void {
  it("reads from the oldest, after an id, and in pages that cover the history exactly once", async () => {
    const { bus } = await current().open();
    const ids = await publishConcurrently(bus, 1, 25, "S1");
    const all = await bus.read(undefined, 100);
    expect(all.gap).toBeUndefined();
    expect(all.events.map((event) => event.id)).toEqual(ids);
    expect(ns(all.events)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await bus.read(ids[9], 100)).toStrictEqual({ events: all.events.slice(10) });
    expect(await bus.read(undefined, 4)).toStrictEqual({ events: all.events.slice(0, 4) });

    const paged: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await bus.read(cursor, 7);
      expect(page.gap).toBeUndefined();
      if (page.events.length === 0) break;
      expect(page.events.length).toBeLessThanOrEqual(7);
      paged.push(...page.events.map((event) => event.id));
      cursor = page.events.at(-1)!.id;
    }
    expect(paged).toEqual(ids);

    expect(await bus.read(ids[24], 100)).toStrictEqual({ events: [] }); // at the newest: nothing, no gap
  });

  it("bounds the history by count: never less than maxEvents, at most countSlack more; a resume from a dropped id is a gap, from a kept one is not", async () => {
    const h = current();
    const maxEvents = 10;
    const slack = h.options.history.countSlack ?? 0;
    const { bus } = await h.open({ history: { maxEvents } });
    const ids: string[] = [];
    for (let batch = 0; batch < 6; batch++) ids.push(...(await publishConcurrently(bus, batch * 100 + 1, 100, "S1")));
    const kept = await bus.read(undefined, 1_000);
    expect(kept.gap).toBeUndefined();
    expect(kept.events.length).toBeGreaterThanOrEqual(maxEvents);
    expect(kept.events.length).toBeLessThanOrEqual(maxEvents + slack);
    expect(kept.events.map((event) => event.id)).toEqual(ids.slice(-kept.events.length));

    const dropped = ids.slice(0, -kept.events.length);
    expect(await bus.read(ids[0], 1_000)).toEqual({ gap: "expired", events: kept.events });
    expect(await bus.read(dropped.at(-2), 1_000)).toEqual({ gap: "expired", events: kept.events });
    // The newest dropped id: nothing after it was lost, but only a bus that knows its first kept event's predecessor can tell.
    expect(await bus.read(dropped.at(-1), 1_000)).toEqual({ gap: h.options.history.resumesFromNewestDropped ? undefined : "expired", events: kept.events });
    expect(await bus.read(kept.events[0]!.id, 1_000)).toStrictEqual({ events: kept.events.slice(1) });
  });
}

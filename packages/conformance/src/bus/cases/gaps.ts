import type { Bus } from "@eventwire/core";
import { expect, it } from "vitest";
import { eventually, until } from "../../wait.js";
import type { BusHarness } from "../bus-harness.js";
import { publishConcurrently, publishInOrder, record } from "../recording-context.js";

/**
 * A resume the bus cannot continue exactly is a gap that says why (docs/protocol.md#resume): it then
 * reads from the oldest retained event. Ids that are malformed, from the future, from another
 * stream, or from a deleted one.
 */
export function gapCases(current: () => BusHarness): void {
  it("answers a gap with its reason, from the oldest retained event, for a malformed, unknown, future or other stream's id", async () => {
    const h = current();
    const { bus } = await h.open();
    const ids = await publishConcurrently(bus, 1, 5, "S1");
    const all = (await bus.read(undefined, 100)).events;
    const cases = [
      { id: "", reason: "unknown" },
      { id: "nope", reason: "unknown" },
      ...h.options.ids.gapCases(ids),
    ];
    const answers = [];
    for (const { id } of cases) answers.push({ id, ...(await bus.read(id, 100)) });
    expect(answers).toEqual(cases.map(({ id, reason }) => ({ id, gap: reason, events: all })));
    expect(await bus.read("nope", 2)).toEqual({ gap: "unknown", events: all.slice(0, 2) });
  });

  it("answers a gap when the stream was deleted and for its ids once it is created anew, and delivers the new stream's events live", async () => {
    const h = current();
    const { bus, context, stream } = await h.open();
    const ids = await publishConcurrently(bus, 1, 3, "S1");
    await until(() => context.events.length === 3, "3 events");
    await h.options.engine.deleteStream(stream);
    expect(await bus.read(ids[1], 10)).toEqual({ gap: "reset", events: [] });
    expect(await bus.read(undefined, 10)).toStrictEqual({ events: [] });

    const fresh = [await publishAfterDeletion(h, bus, 4), ...(await publishInOrder(bus, 5, 2, "S1"))];
    await h.options.ids.checkFresh(fresh, stream);
    for (const id of fresh) expect(ids).not.toContain(id); // the new stream's ids are its own
    const events = (await bus.read(undefined, 10)).events;
    expect(events.map((event) => event.id)).toEqual(fresh);
    expect(await bus.read(ids[1], 10)).toEqual({ gap: "reset", events }); // its sequence may exist again, but it is another event
    expect(await bus.read(ids[2], 10)).toEqual({ gap: "reset", events });

    await until(() => context.events.length === 6, "the new stream's events, live");
    expect(context.ids()).toEqual([...ids, ...fresh]);
    const recreated = h.options.deletedStream?.recreatedError?.(stream);
    if (recreated !== undefined) expect(context.errors.map((error) => error.message)).toContainEqual(expect.stringContaining(recreated));
  });
}

/** The first publish after the stream was deleted: at once, or once the bus has created the stream anew. */
export function publishAfterDeletion(h: BusHarness, bus: Bus, n: number): Promise<string> {
  const publish = () => bus.publish(record("tick", n, "S1"));
  return h.options.deletedStream?.refusesPublishesUntilRecreated ? eventually(publish, "a publish once the bus created the stream anew") : publish();
}

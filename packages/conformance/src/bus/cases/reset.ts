import { expect, it } from "vitest";
import { until } from "../../wait.js";
import type { BusHarness } from "../bus-harness.js";
import { record } from "../recording-context.js";

/** How often the case resets the history; each round publishes from both buses in between. */
const rounds = 5;

/**
 * A history store reset under running buses (docs/protocol.md#several-processes): Redis flushed,
 * a JetStream stream deleted and created again. On an engine of the test's own.
 */
export function resetCases(current: () => BusHarness): void {
  it(
    "a history reset under two running buses issues no id twice, every earlier id resumes with reset, and live delivery goes on",
    { timeout: 120_000 },
    async () => {
      const h = current();
      const engine = await h.options.engine.start();
      h.defer(() => engine.stop());
      const stream = h.stream("reset", engine.address);
      const { bus: a, context: ca } = await h.open({ stream, address: engine.address });
      const { bus: b, context: cb } = await h.open({ stream, address: engine.address });
      const issued: string[][] = [];
      let n = 0;
      for (let round = 0; round < rounds; round++) {
        if (round > 0) await h.options.engine.resetHistory(stream, engine.address);
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) ids.push(await (i % 2 ? b : a).publish(record("tick", n++, "S1")));
        issued.push(ids);
        const events = (await a.read(undefined, 100)).events;
        expect(events.map((event) => event.id)).toEqual(ids);
        for (const earlier of issued.slice(0, -1).flat()) expect(await b.read(earlier, 100), earlier).toEqual({ gap: "reset", events });
        expect(await b.read(ids[1], 100)).toStrictEqual({ events: events.slice(2) });
      }
      const all = issued.flat();
      expect(new Set(all).size).toBe(all.length);
      expect([...all].sort((x, y) => a.compareIds(x, y))).toEqual(all); // a later history's ids sort after
      await until(() => ca.events.length >= all.length && cb.events.length >= all.length, "every event, live, on both buses", 30_000);
      expect(ca.ids()).toEqual(all);
      expect(cb.ids()).toEqual(all);
    },
  );
}

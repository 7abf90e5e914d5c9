import { publishInOrder, RecordingContext } from "@eventwire/conformance/bus";
import { describe, expect, it } from "vitest";
import { SharedHistory } from "../src/shared-bus.js";

// The storms' shared history must read ids as strictly as Redis and NATS do: a malformed id is
// "unknown" there (bus.ts: "malformed, never issued, newer than the newest"), resumed from the
// oldest event with a gap, never read as a number that happens to parse (`Number("1e1")` is 10).
describe("SharedHistory", () => {
  it("resumes a malformed id of its own run as the real buses do: a gap of reason unknown and the history from its oldest event", async () => {
    const history = new SharedHistory();
    const bus = history.bus();
    await bus.open(new RecordingContext());
    const ids = await publishInOrder(bus, 1, 12);
    const all = (await bus.read(undefined, 100)).events;
    expect(all.map((event) => event.id)).toEqual(ids);
    expect(ids[9]).toBe(`${history.run}-10`);
    expect(await bus.read(`${history.run}-10`, 100)).toStrictEqual({ events: all.slice(10) });
    for (const malformed of ["1e1", "0x0a", "10.0", "+10", " 10", "10 ", "", "-10", "1e400"]) {
      expect(await bus.read(`${history.run}-${malformed}`, 100), `${history.run}-${malformed}`).toEqual({ gap: "unknown", events: all });
    }
    await bus.close();
  });

  it("hands every event to every hub on it, and any of them resumes the ids another issued", async () => {
    const history = new SharedHistory();
    const [a, b] = [history.bus(), history.bus()];
    const [contextA, contextB] = [new RecordingContext(), new RecordingContext()];
    await Promise.all([a.open(contextA), b.open(contextB)]);
    const ids = [...(await publishInOrder(a, 1, 3)), ...(await publishInOrder(b, 4, 3))];
    expect(contextA.ids()).toEqual(ids);
    expect(contextB.ids()).toEqual(ids);
    expect((await b.read(ids[1], 100)).events.map((event) => event.id)).toEqual(ids.slice(2));
    expect(ids.every((id, i) => i === 0 || a.compareIds(ids[i - 1]!, id) < 0)).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });
});

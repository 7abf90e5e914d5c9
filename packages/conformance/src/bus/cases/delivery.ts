import { expect, it } from "vitest";
import { until } from "../../wait.js";
import type { BusHarness } from "../bus-harness.js";
import { ns, publishConcurrently, record } from "../recording-context.js";

/**
 * The bus assigns ids in publish order and hands every open bus on a stream each event exactly
 * once, in that order, unchanged. Buses on one stream stand for the processes of one app.
 */
export function deliveryCases(current: () => BusHarness): void {
  it("assigns increasing ids in publish order, to concurrent publishes too, and delivers each event once, in that order", async () => {
    const h = current();
    const { bus, context, stream } = await h.open();
    const ids = await publishConcurrently(bus, 1, 20, "S1");
    await h.options.ids.checkFresh(ids, stream);
    for (let i = 1; i < ids.length; i++) expect(bus.compareIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    const end = await bus.publish(record("end", 21));
    await until(() => context.ids().includes(end), "the events and the end marker"); // anything extra arrives before it
    expect(context.ids()).toEqual([...ids, end]);
    expect(ns(context.events)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(context.events[0]).toEqual({ id: ids[0], name: "tick", session: "S1", json: '{"event":"tick","sessionId":"S1","n":1}', publishedAt: expect.any(Number) });
    expect(context.errors).toEqual([]);
  });

  it("keeps names, sessions (or none) and JSON text exactly, whatever characters they hold", async () => {
    const { bus, context } = await current().open();
    const sent = [
      { name: "bot.word", session: undefined, json: JSON.stringify({ event: "bot.word", text: "héllo \n \"quoted\" 🎉", nested: { a: [1, null] } }) },
      { name: "odd name\r\nx: y", session: " spaced %41 ünï ", json: '{"event":"odd name\\r\\nx: y"}' },
      { name: "e", session: "", json: '{"event":"e","sessionId":""}' },
    ];
    const ids: string[] = [];
    for (const item of sent) ids.push(await bus.publish(item));
    await until(() => context.events.length === 3, "3 events");
    const expected = sent.map((item, i) => ({ id: ids[i], ...item, publishedAt: expect.any(Number) }));
    expect(context.events).toEqual(expected);
    expect((await bus.read(undefined, 10)).events).toEqual(expected);
  });

  it("tells when it took each event, by its clock, live and in history alike (what the hub's bus lag metric reads)", async () => {
    const { bus, context } = await current().open();
    // The engines run on this machine: their clock is this process's, to the millisecond.
    const before = Date.now();
    const id = await bus.publish(record("tick", 1));
    const after = Date.now();
    await until(() => context.ids().includes(id), "the event");
    const live = context.events.find((event) => event.id === id)!;
    expect(live.publishedAt).toBeGreaterThanOrEqual(before - 1);
    expect(live.publishedAt).toBeLessThanOrEqual(after + 1);
    const [stored] = (await bus.read(undefined, 1)).events;
    expect(stored).toEqual(live);
  });

  it("two buses on one stream (two processes) both receive every event once, in one order, with the same ids", async () => {
    const h = current();
    const { bus: a, context: ca, stream } = await h.open();
    const { bus: b, context: cb } = await h.open({ stream });
    const published = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => a.publish(record("from.a", i))),
      ...Array.from({ length: 10 }, (_, i) => b.publish(record("from.b", i))),
    ]);
    const end = await a.publish(record("end", 10));
    await until(() => ca.ids().includes(end) && cb.ids().includes(end), "the events and the end marker on each bus");
    expect(ca.events).toEqual(cb.events);
    expect(ca.events).toHaveLength(21);
    const received = ca.ids().slice(0, 20);
    expect([...received].sort(a.compareIds.bind(a))).toEqual(received); // in id order
    expect([...published].sort(a.compareIds.bind(a))).toEqual(received); // exactly the published ids
    await h.options.ids.checkFresh(received, stream);
    // each publisher's own events keep their publish order
    expect(ns(ca.events.filter((event) => event.name === "from.a"))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ns(ca.events.filter((event) => event.name === "from.b"))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("a bus opened later receives only what is published after it opened", async () => {
    const h = current();
    const { bus: a, stream } = await h.open();
    await publishConcurrently(a, 1, 3, "S1");
    const { context: cb } = await h.open({ stream });
    const later = await publishConcurrently(a, 4, 2, "S1");
    const end = await a.publish(record("end", 6));
    await until(() => cb.ids().includes(end), "the end marker"); // anything extra arrives before it
    expect(cb.ids()).toEqual([...later, end]);
  });
}

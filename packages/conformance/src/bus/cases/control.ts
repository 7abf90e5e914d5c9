import type { Bus } from "@eventwire/core";
import { expect, it } from "vitest";
import { delay, until } from "../../wait.js";
import type { BusHarness, OpenedBus } from "../bus-harness.js";

const deliveryTimeoutMs = 20_000;

/** The bus's `publishControl`, which every bus that serves several processes has. */
function publishControl(bus: Bus, message: string): Promise<void> {
  expect(typeof bus.publishControl, "a bus for several processes carries control messages (publishControl)").toBe("function");
  return bus.publishControl!(message);
}

const received = (buses: OpenedBus[], message: string) => () => buses.every(({ context }) => context.controls.includes(message));

/**
 * Control messages (revocations, docs/protocol.md#several-processes): broadcast to every bus on
 * the stream, the sender's included, kept in no history and never replayed.
 */
export function controlCases(current: () => BusHarness): void {
  it("broadcasts a control message to every bus on the stream, the sender's included, keeps none in history and replays none", async () => {
    const h = current();
    const first = await h.open();
    const second = await h.open({ stream: first.stream });
    const elsewhere = await h.open(); // another stream
    await publishControl(first.bus, "revoke-1");
    await until(received([first, second], "revoke-1"), "revoke-1 on both buses of the stream", deliveryTimeoutMs);
    // What another stream's bus gets: its own message, and not the first stream's (published earlier).
    await publishControl(elsewhere.bus, "elsewhere-1");
    await until(received([elsewhere], "elsewhere-1"), "elsewhere-1 on its bus", deliveryTimeoutMs);

    const late = await h.open({ stream: first.stream });
    await publishControl(second.bus, "revoke-2");
    await until(received([first, second, late], "revoke-2"), "revoke-2 on the three buses of the stream", deliveryTimeoutMs);

    expect(first.context.controls).toEqual(["revoke-1", "revoke-2"]);
    expect(second.context.controls).toEqual(["revoke-1", "revoke-2"]);
    expect(late.context.controls).toEqual(["revoke-2"]); // nothing from before it opened
    expect(elsewhere.context.controls).toEqual(["elsewhere-1"]);
    for (const { bus, context } of [first, second, late, elsewhere]) {
      expect(context.events).toEqual([]); // no control message is an event
      expect(await bus.read(undefined, 100)).toEqual({ events: [] }); // nor kept in history
    }
  });

  it("carries control messages again once the engine is back after a restart (the subscription is renewed)", { timeout: 90_000 }, async () => {
    const h = current();
    const engine = await h.options.engine.start();
    h.defer(() => engine.stop());
    const stream = h.stream("control_restart", engine.address);
    const sender = await h.open({ stream, address: engine.address });
    const receiver = await h.open({ stream, address: engine.address });
    await publishControl(sender.bus, "before");
    await until(received([sender, receiver], "before"), "the control message before the restart", deliveryTimeoutMs);

    await engine.down();
    await engine.up();
    // Control messages are at most once: those sent before the receiver has subscribed again are
    // lost. Send one after another until one reaches both buses.
    const deadline = Date.now() + deliveryTimeoutMs;
    let sent = 0;
    while (![sender, receiver].every(({ context }) => context.controls.length > 1)) {
      if (Date.now() > deadline) throw new Error(`timed out after ${deliveryTimeoutMs} ms waiting for a control message after the restart (${sent} sent)`);
      await publishControl(sender.bus, `after-${sent++}`).catch(() => undefined); // refused while the publisher reconnects
      await delay(100);
    }
    for (const { context } of [sender, receiver]) {
      expect(context.errors.length, "the bus reported the outage").toBeGreaterThan(0);
      const [first, ...after] = context.controls;
      expect(first).toBe("before");
      const numbers = after.map((message) => Number(/^after-(\d+)$/.exec(message)?.[1]));
      expect(numbers).toEqual([...new Set(numbers)].sort((a, b) => a - b)); // each once, in order
      expect(numbers.every((n) => Number.isInteger(n) && n < sent)).toBe(true);
    }
  });
}

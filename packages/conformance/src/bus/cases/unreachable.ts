import { expect, it } from "vitest";
import { uniqueStream, type BusHarness } from "../bus-harness.js";
import { sparePort } from "../engine-process.js";
import { RecordingContext, record } from "../recording-context.js";

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** A bus whose engine cannot be reached fails fast, with an error that says where it looked. */
export function unreachableCases(current: () => BusHarness): void {
  it("rejects open, and then publish, with a clear error when the engine is unreachable", async () => {
    const h = current();
    const { prefix, refused } = h.options.errors;
    const address = h.options.engine.address(await sparePort());
    const bus = h.factory({ ...h.options.bus.options(uniqueStream("unreachable"), address), connectTimeoutMs: 300 });
    h.defer(() => bus.close());
    const started = Date.now();
    await expect(bus.open(new RecordingContext())).rejects.toThrow(
      new RegExp(`^${escape(`${prefix}: cannot reach ${h.options.engine.name} at ${address} (no connection within 300 ms)`)}.*${escape(refused)}`),
    );
    // connectTimeoutMs, late on a loaded machine; not the 10 s default.
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(bus.publish(record("tick", 1))).rejects.toThrow(`${prefix}: cannot publish: the bus is not open`);
  });
}

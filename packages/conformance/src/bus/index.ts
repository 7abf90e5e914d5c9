import { afterEach, beforeAll, beforeEach, describe } from "vitest";
import { BusHarness, loadBusFactory, type BusFactory } from "./bus-harness.js";
import { controlCases } from "./cases/control.js";
import { cursorCases } from "./cases/cursor.js";
import { deliveryCases } from "./cases/delivery.js";
import { gapCases } from "./cases/gaps.js";
import { historyCases } from "./cases/history.js";
import { processCases } from "./cases/processes.js";
import { resetCases } from "./cases/reset.js";
import { unreachableCases } from "./cases/unreachable.js";
import type { BusConformanceOptions } from "./options.js";

export { BusHarness, uniqueStream, type BusFactory, type OpenedBus } from "./bus-harness.js";
export { EngineProcess, portOpen, sparePort, type EngineCommand } from "./engine-process.js";
export { HubProcess, type ChildBus, type ChildServer, type OpenOptions, type OutgoingEvent, type PublishResult } from "./hub-process.js";
export type { BusConformanceOptions, BusGapReason, OwnEngine } from "./options.js";
export { RecordingContext, ns, publishConcurrently, publishInOrder, record } from "./recording-context.js";
export { openBuses, streamPerBusName } from "./test-buses.js";

/**
 * Runs the bus suite: the contract every cross-process bus keeps (ids, delivery, history, gaps and
 * their reasons, cursors, history resets, failing fast, control messages), on buses of this process
 * and on real hub processes sharing a stream (revocation included). Call it from a test file of the
 * bus, with what differs about it:
 *
 * ```ts
 * runBusConformance("redis", {
 *   bus: { module: new URL("../src/index.ts", import.meta.url), export: "redisBus", options: (stream, url = REDIS_URL) => ({ url, stream }) },
 *   engine: { name: "Redis", address: (port) => `redis://127.0.0.1:${port}`, deleteStream, start: startOwnRedis },
 *   ...
 * });
 * ```
 */
export function runBusConformance(name: string, options: BusConformanceOptions): void {
  describe(`eventwire bus conformance: ${name}`, () => {
    let factory: BusFactory;
    let harness: BusHarness;
    beforeAll(async () => {
      factory = await loadBusFactory(options.bus);
    });
    beforeEach(() => {
      harness = new BusHarness(options, factory);
    });
    afterEach(async () => {
      await harness.closeAll();
    });
    const current = () => harness;
    deliveryCases(current);
    historyCases(current);
    gapCases(current);
    cursorCases(current);
    resetCases(current);
    unreachableCases(current);
    controlCases(current);
    processCases(options, current);
  });
}

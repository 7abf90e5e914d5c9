import type { Bus, HistoryLimits } from "@eventwire/core";
import { afterAll, afterEach } from "vitest";
import { uniqueStream, type OpenedBus } from "./bus-harness.js";
import { RecordingContext } from "./recording-context.js";

/**
 * The `bus` option of `runConformance` for a cross-process bus: hubs the suite gives one bus name
 * share one stream, as processes do. Every stream it made is deleted after the suite.
 */
export function streamPerBusName(make: (stream: string) => Bus, deleteStream: (stream: string) => Promise<void>): (name: string) => Bus {
  const prefix = uniqueStream("conformance");
  const streams = new Set<string>();
  afterAll(() => Promise.all([...streams].map((stream) => deleteStream(stream))));
  return (name) => {
    const stream = `${prefix}_${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    streams.add(stream);
    return make(stream);
  };
}

/**
 * For a bus's own tests: `openBus(history?, options?)` opens a bus (`make` gets the options with a
 * stream: a fresh one, or `options.stream`) on a context that records what it delivers. After each
 * test, the buses are closed and their streams deleted.
 */
export function openBuses<O extends { stream?: string }>(
  make: (options: O & { stream: string }) => Bus,
  deleteStream: (stream: string) => Promise<void>,
): (history?: Partial<HistoryLimits>, options?: O) => Promise<OpenedBus> {
  const buses: Bus[] = [];
  const streams = new Set<string>();
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
    await Promise.all([...streams].map((stream) => deleteStream(stream)));
    streams.clear();
  });
  return async (history = {}, options = {} as O) => {
    const stream = options.stream ?? uniqueStream();
    streams.add(stream);
    const bus = make({ ...options, stream });
    buses.push(bus);
    const context = new RecordingContext(history);
    await bus.open(context);
    return { bus, context, stream };
  };
}

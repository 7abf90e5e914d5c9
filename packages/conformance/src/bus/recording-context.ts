import type { Bus, BusContext, BusEvent, BusRecord, HistoryLimits } from "@eventwire/core";

/** A BusContext that records what the bus hands it, as a hub would receive it. */
export class RecordingContext implements BusContext {
  readonly history: HistoryLimits;
  readonly events: BusEvent[] = [];
  readonly errors: Error[] = [];
  /** The control messages it received (see `Bus.publishControl`), in arrival order. */
  readonly controls: string[] = [];

  constructor(history: Partial<HistoryLimits> = {}) {
    this.history = { maxEvents: 10_000, maxAgeMs: 300_000, ...history };
  }

  onEvent(event: BusEvent): void {
    this.events.push(event);
  }

  onError(error: Error): void {
    this.errors.push(error);
  }

  onControl(message: string): void {
    this.controls.push(message);
  }

  ids(): string[] {
    return this.events.map((event) => event.id);
  }
}

/** The record a hub would hand the bus for `{ event: name, sessionId: session, n }`. */
export function record(name: string, n: number, session?: string): BusRecord {
  const object = session === undefined ? { event: name, n } : { event: name, sessionId: session, n };
  return { name, session, json: JSON.stringify(object) };
}

/** The `n` of each event's JSON (see {@link record}). */
export function ns(events: readonly BusEvent[]): number[] {
  return events.map((event) => (JSON.parse(event.json) as { n: number }).n);
}

/** Publishes `tick` events `from`, `from + 1`, ... one after another; resolves to their ids. */
export async function publishInOrder(bus: Bus, from: number, count: number, session?: string): Promise<string[]> {
  const ids: string[] = [];
  for (let n = from; n < from + count; n++) ids.push(await bus.publish(record("tick", n, session)));
  return ids;
}

/** Publishes `tick` events `from`, `from + 1`, ... all at once; resolves to their ids, in publish order. */
export function publishConcurrently(bus: Bus, from: number, count: number, session?: string): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => bus.publish(record("tick", from + i, session))));
}

import type { BusContext, BusEvent, BusRecord, HistoryLimits } from "@eventwire/core";

/** A BusContext that records what the bus hands it, as a hub would receive it. */
export class RecordingContext implements BusContext {
  readonly history: HistoryLimits;
  readonly events: BusEvent[] = [];
  readonly errors: Error[] = [];

  constructor(history: Partial<HistoryLimits> = {}) {
    this.history = { maxEvents: 10_000, maxAgeMs: 300_000, ...history };
  }

  onEvent(event: BusEvent): void {
    this.events.push(event);
  }

  onError(error: Error): void {
    this.errors.push(error);
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

/**
 * The hub's OpenTelemetry metrics (docs/protocol.md#events-and-publishing, "Metrics"). Pass a
 * `Meter` from `@opentelemetry/api` as `createHub({ meter })`; without one, nothing here runs.
 *
 * Counts the hub already keeps (connections, events published and delivered, slow readers
 * dropped) are read when the exporter collects, through observable instruments: the delivery path
 * costs nothing more. What only metrics need (resumes, refusals, authorize latency) is counted on
 * paths that run once per connection.
 */

/** The slice of `@opentelemetry/api`'s `Meter` the hub uses, so core needs no import of it. */
export interface MeterLike {
  createObservableCounter(name: string, options?: InstrumentOptions): ObservableLike;
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): ObservableLike;
  createHistogram(name: string, options?: InstrumentOptions): { record(value: number, attributes?: Attributes): void };
}

type Attributes = Record<string, string | number>;
interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}
interface ObservableLike {
  addCallback(callback: (result: { observe(value: number, attributes?: Attributes): void }) => void): void;
}

/** What the hub's metrics read: `hub.stats()`. */
export interface MetricsSource {
  stats(): { connections: { sse: number; websocket: number }; events: { published: number; delivered: number; dropped: number } };
}

export class HubMetrics {
  /** Resumes by outcome: `exact`, or `gap:<reason>`. */
  readonly #resumes = new Map<string, number>();
  /** Refused streams by `<status>:<code>`. */
  readonly #refusals = new Map<string, number>();
  readonly #authorizeMs: { record(value: number, attributes?: Attributes): void } | undefined;
  readonly #busLagMs: { record(value: number, attributes?: Attributes): void } | undefined;

  constructor(meter: MeterLike | undefined, source: MetricsSource) {
    if (meter === undefined) return;
    meter.createObservableUpDownCounter("eventwire.connections", { description: "Open streams, by transport", unit: "{connection}" })
      .addCallback((result) => {
        const { connections } = source.stats();
        result.observe(connections.sse, { transport: "sse" });
        result.observe(connections.websocket, { transport: "websocket" });
      });
    const events = (name: string, description: string, read: (events: ReturnType<MetricsSource["stats"]>["events"]) => number, unit = "{event}") =>
      meter.createObservableCounter(name, { description, unit }).addCallback((result) => result.observe(read(source.stats().events)));
    events("eventwire.events.published", "Events published on this process", (e) => e.published);
    events("eventwire.events.delivered", "Events written to a connection", (e) => e.delivered);
    events("eventwire.slow_readers.dropped", "Connections closed because their unsent data passed maxBufferedBytes", (e) => e.dropped, "{connection}");
    meter.createObservableCounter("eventwire.resumes", { description: "Resumes from a lastEventId: exact, or a gap with its reason", unit: "{resume}" })
      .addCallback((result) => {
        for (const [key, count] of this.#resumes) {
          const [outcome, reason] = key.split(":");
          result.observe(count, reason === undefined ? { outcome: outcome! } : { outcome: outcome!, reason });
        }
      });
    meter.createObservableCounter("eventwire.refusals", { description: "Streams refused, by status and code", unit: "{refusal}" })
      .addCallback((result) => {
        for (const [key, count] of this.#refusals) {
          const colon = key.indexOf(":");
          result.observe(count, { status: Number(key.slice(0, colon)), code: key.slice(colon + 1) });
        }
      });
    this.#authorizeMs = meter.createHistogram("eventwire.authorize.duration", {
      description: "Time authorize took per stream",
      unit: "ms",
      advice: { explicitBucketBoundaries: [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500] },
    });
    this.#busLagMs = meter.createHistogram("eventwire.bus.lag", {
      description: "Time from the bus taking an event (its server's clock) to its arrival at this process, on buses that tell it (Redis, NATS)",
      unit: "ms",
      advice: { explicitBucketBoundaries: [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] },
    });
  }

  /** An event arrived from the bus: its lag, when a meter is set and the bus tells when it took it. */
  arrived(publishedAt: number | undefined): void {
    if (this.#busLagMs === undefined || publishedAt === undefined) return;
    this.#busLagMs.record(Math.max(0, Date.now() - publishedAt));
  }

  /** A resume's first read: exact (no reason), or a gap with the bus's reason. */
  resumed(reason: string | undefined): void {
    const key = reason === undefined ? "exact" : `gap:${reason}`;
    this.#resumes.set(key, (this.#resumes.get(key) ?? 0) + 1);
  }

  refused(status: number, code: string): void {
    const key = `${status}:${code}`;
    this.#refusals.set(key, (this.#refusals.get(key) ?? 0) + 1);
  }

  /** Times `authorize`, when a meter is set (no clock read otherwise). */
  async timeAuthorize<T>(run: () => T | Promise<T>): Promise<T> {
    if (this.#authorizeMs === undefined) return run();
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.#authorizeMs.record(performance.now() - started);
    }
  }
}

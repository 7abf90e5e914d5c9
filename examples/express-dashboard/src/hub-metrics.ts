import { AggregationTemporality, MeterProvider, MetricReader, type HistogramMetricData, type MetricData } from "@opentelemetry/sdk-metrics";
import type { Request, Response } from "express";
import type { MetricsSummary } from "./web/metrics-summary.js";

/**
 * The hub's OpenTelemetry metrics (docs/protocol.md#events-and-publishing, "Metrics"), for the
 * page's live panel: a MeterProvider whose reader collects when asked, and a route that answers
 * with a summary of what it read. A production app would hand the same `meter` to its exporter
 * (the Prometheus one, say) instead.
 */
export function hubMetrics(): { meter: ReturnType<MeterProvider["getMeter"]>; route: (request: Request, response: Response) => void } {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter("eventwire-dashboard"),
    route: (_request, response) => {
      void reader.collect().then(
        ({ resourceMetrics }) => response.set("cache-control", "no-store").json(summarize(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics))),
        (error: Error) => response.status(500).json({ error: error.message }),
      );
    },
  };
}

function summarize(metrics: MetricData[]): MetricsSummary {
  const points = (name: string) => metrics.find((metric) => metric.descriptor.name === name)?.dataPoints ?? [];
  const total = (name: string, where: (attributes: Record<string, unknown>) => boolean = () => true) =>
    points(name).reduce((sum, point) => sum + (where(point.attributes) ? (point.value as number) : 0), 0);
  const lag = (metrics.find((metric) => metric.descriptor.name === "eventwire.bus.lag") as HistogramMetricData | undefined)?.dataPoints[0]?.value;
  return {
    connections: {
      sse: total("eventwire.connections", (a) => a.transport === "sse"),
      websocket: total("eventwire.connections", (a) => a.transport === "websocket"),
    },
    published: total("eventwire.events.published"),
    delivered: total("eventwire.events.delivered"),
    resumes: { exact: total("eventwire.resumes", (a) => a.outcome === "exact"), gap: total("eventwire.resumes", (a) => a.outcome === "gap") },
    dropped: total("eventwire.slow_readers.dropped"),
    busLagMs: lag !== undefined && lag.count > 0 ? (lag.sum ?? 0) / lag.count : null,
  };
}

/** A reader that collects only when asked (the route does), cumulatively: no timer, no export. */
class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

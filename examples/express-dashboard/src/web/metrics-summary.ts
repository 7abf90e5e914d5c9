/**
 * What `GET /metrics.json` answers (src/hub-metrics.ts reads it from the hub's OpenTelemetry
 * metrics): totals since the server started, from which the page derives rates.
 */
export interface MetricsSummary {
  connections: { sse: number; websocket: number };
  published: number;
  delivered: number;
  resumes: { exact: number; gap: number };
  dropped: number;
  /** Mean time from the bus taking an event to its arrival at the hub, ms; null before any event. */
  busLagMs: number | null;
}

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { createHub } from "@eventwire/core";
import { until } from "@eventwire/conformance";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, it } from "vitest";

// The Prometheus setup of docs/protocol.md ("Metrics"): the hub's meter from a MeterProvider whose
// reader is the Prometheus exporter, scraped over HTTP as Prometheus would.

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const protocolDoc = readFileSync(resolve(import.meta.dirname, "../../../docs/protocol.md"), "utf8");

/** The value of a sample line (`name{labels} value`; the exporter adds `otel_scope_name`) in a Prometheus text exposition. */
function sample(exposition: string, line: RegExp): number | undefined {
  const match = exposition.split("\n").find((text) => line.test(text));
  return match === undefined ? undefined : Number(match.slice(match.lastIndexOf(" ") + 1));
}

describe("the hub's metrics through the Prometheus exporter, as docs/protocol.md sets it up", () => {
  it("are scraped from GET /metrics: streams, events, resumes by reason, refusals, authorize time and bus lag", async () => {
    // The doc's setup, on a free port instead of 9464.
    expect(protocolDoc).toContain("new PrometheusExporter({ port: 9464 })");
    expect(protocolDoc).toContain('const hub = createHub({ meter: provider.getMeter("eventwire") });');
    const exporter = new PrometheusExporter({ port: 0, preventServerStart: true });
    const metricsServer = createServer((request, response) => exporter.getMetricsRequestHandler(request, response));
    await new Promise<void>((done) => metricsServer.listen(0, "127.0.0.1", done));
    const provider = new MeterProvider({ readers: [exporter] });
    const hub = createHub({ meter: provider.getMeter("eventwire"), authorize: (request) => request.headers.authorization === "ok" });
    const server = createServer((req, res) => hub.sse(req, res));
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    cleanups.push(
      () => provider.shutdown(),
      () => new Promise((done) => metricsServer.close(done)),
      () => new Promise((done) => (server.closeAllConnections(), server.close(done))),
      () => hub.close(),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    const aborts = new AbortController();
    cleanups.push(() => aborts.abort());

    const live = await fetch(url, { headers: { authorization: "ok" }, signal: aborts.signal });
    for (const event of ["a", "b", "c"]) await hub.publish({ event });
    const resumed = await fetch(`${url}?lastEventId=never-issued`, { headers: { authorization: "ok" }, signal: aborts.signal });
    const refused = await fetch(url);
    expect([live.status, resumed.status, refused.status]).toEqual([200, 200, 401]);
    await until(() => hub.stats().connections.sse === 2, "both streams");

    const scrape = await fetch(`http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`);
    expect(scrape.headers.get("content-type")).toMatch(/^text\/plain/);
    const exposition = await scrape.text();
    expect({
      sse: sample(exposition, /^eventwire_connections\{transport="sse"[,}]/),
      websocket: sample(exposition, /^eventwire_connections\{transport="websocket"[,}]/),
      published: sample(exposition, /^eventwire_events_published_total[{ ]/),
      gapUnknown: sample(exposition, /^eventwire_resumes_total\{outcome="gap",reason="unknown"[,}]/),
      unauthenticated: sample(exposition, /^eventwire_refusals_total\{status="401",code="unauthenticated"[,}]/),
      authorizeCount: sample(exposition, /^eventwire_authorize_duration_count[{ ]/),
      busLagCount: sample(exposition, /^eventwire_bus_lag_count[{ ]/),
    }).toEqual({ sse: 2, websocket: 0, published: 3, gapUnknown: 1, unauthenticated: 1, authorizeCount: 3, busLagCount: 3 });
  });
});

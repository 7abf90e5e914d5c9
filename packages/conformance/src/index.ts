import { afterAll, afterEach, beforeAll, beforeEach, describe } from "vitest";
import { authorizationCases } from "./cases/authorization.js";
import { deliveryCases } from "./cases/delivery.js";
import { gapReasonCases } from "./cases/gap-reasons.js";
import { lateJoinCases } from "./cases/late-join.js";
import { publishedPayloadCases } from "./cases/published-payloads.js";
import { replayCompactionCases } from "./cases/replay-compaction.js";
import { requestHeadCases } from "./cases/request-heads.js";
import { resumeCases } from "./cases/resume.js";
import { scopeCases } from "./cases/scopes.js";
import { shutdownCases } from "./cases/shutdown.js";
import { slowReaderCases } from "./cases/slow-readers.js";
import { sseEventLineCases } from "./cases/sse-event-lines.js";
import { sseProtocolCases } from "./cases/sse-protocol.js";
import { thirdPartyClientCases } from "./cases/third-party-clients.js";
import { streamLifetimeCases } from "./cases/stream-lifetime.js";
import { websocketNotOfferedCases } from "./cases/websocket-not-offered.js";
import { wsProtocolCases } from "./cases/ws-protocol.js";
import { Harness, transports, type ConformanceOptions, type HubHost, type ServerFactory, type Transport } from "./harness.js";
import { RuntimeProcess, type RuntimeCommand } from "./remote/runtime-process.js";

export { Harness, RecordingLogger, openStream, publishAll, refusal, withIds, transports } from "./harness.js";
export type { Capabilities, ConformanceOptions, HandshakeKind, TargetAnswer, TargetKind, HubHost, Served, ServerFactory, StartedServer, StreamClient, Transport } from "./harness.js";
export type { ServedHub } from "./served-hub.js";
export { RemoteHub, RuntimeProcess, type RuntimeCommand } from "./remote/runtime-process.js";
export { ClientScope } from "./client-scope.js";
export { SseClient } from "./sse-client.js";
export { SseParser, type ParsedSseEvent } from "./sse-parser.js";
export { WsClient, type WsClientOptions } from "./ws-client.js";
export { nodeHttpServer } from "./node-http-server.js";
export { runServerCrashCases } from "./server-crash.js";
export { runHostileCases } from "./hostile.js";
export { rawRequest, type RawRequestOptions } from "./raw-request.js";
export { until, eventually, delay } from "./wait.js";
export { TcpProxy } from "./tcp-proxy.js";

/**
 * Runs the whole conformance suite (docs/protocol.md, "Wire protocol" to "Shutdown", both
 * transports, or the ones `options.transports` offers) against servers that `factory` starts.
 * Call it from a test file of an adapter or a bus:
 *
 * ```ts
 * runConformance("express", async (hub) => { ...start an app serving hub...; return { url, close } });
 * ```
 */
export function runConformance(name: string, factory: ServerFactory, options: ConformanceOptions = {}): void {
  const offered = offeredTransports(options);
  describe(`eventwire conformance: ${name}`, () => {
    allCases(() => new Harness(factory, options), offered);
  });
}

/**
 * Runs the whole suite against hubs served in a process of another runtime (Bun, Deno): `command`
 * starts it once for the suite (an entry file that calls `hostHubs` from
 * `@eventwire/conformance/remote`); each case opens its hubs in it. A crash of the process fails
 * the cases.
 */
export function runConformanceInProcess(name: string, command: RuntimeCommand, options: Omit<ConformanceOptions, "bus"> = {}): void {
  const offered = offeredTransports(options);
  describe(`eventwire conformance: ${name}`, () => {
    let runtime: RuntimeProcess | undefined;
    beforeAll(async () => {
      runtime = await RuntimeProcess.start(command);
    }, (command.startTimeoutMs ?? 60_000) + 5_000);
    afterAll(() => runtime?.stop());
    const capabilities = { repliesInRequestOrder: false, ...options.capabilities };
    allCases(() => new Harness({ open: (hubOptions, logger) => runtime!.open(hubOptions, logger) }, { ...options, capabilities }), offered);
  });
}

/**
 * Runs the whole suite against hubs that `host` opens wherever it puts them (each in a `next start`
 * process of its own: `nextStartHubs` of `@eventwire/conformance/next`); `host.stop()` after the
 * suite ends whatever it still runs. Action handlers run in the test's process, as with
 * runConformanceInProcess.
 */
export function runConformanceOnHost(name: string, host: HubHost & { stop(): Promise<void> }, options: Omit<ConformanceOptions, "bus"> = {}): void {
  const offered = offeredTransports(options);
  describe(`eventwire conformance: ${name}`, () => {
    afterAll(() => host.stop());
    const capabilities = { repliesInRequestOrder: false, ...options.capabilities };
    allCases(() => new Harness(host, { ...options, capabilities }), offered);
  });
}

function offeredTransports(options: ConformanceOptions): readonly Transport[] {
  const offered = options.transports ?? transports;
  if (!offered.includes("sse") || offered.some((transport) => !transports.includes(transport))) {
    throw new TypeError(`runConformance: transports must include "sse" and name only "sse" and "websocket", got ${JSON.stringify(offered)}`);
  }
  return offered;
}

/** Every case for the transports offered, each with a fresh harness closed after it. */
function allCases(makeHarness: () => Harness, offered: readonly Transport[]): void {
  let harness: Harness;
  beforeEach(() => {
    harness = makeHarness();
  });
  afterEach(async () => {
    await harness.closeAll();
  });
  const current = () => harness;
  deliveryCases(current, offered);
  sseProtocolCases(current);
  sseEventLineCases(current, offered);
  publishedPayloadCases(current, offered);
  if (offered.includes("websocket")) wsProtocolCases(current);
  else websocketNotOfferedCases(current);
  authorizationCases(current, offered);
  scopeCases(current, offered);
  resumeCases(current, offered);
  gapReasonCases(current, offered);
  lateJoinCases(current, offered);
  replayCompactionCases(current, offered);
  slowReaderCases(current, offered);
  shutdownCases(current, offered);
  streamLifetimeCases(current, offered);
  thirdPartyClientCases(current, offered);
  requestHeadCases(current, offered);
}

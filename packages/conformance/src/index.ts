import { afterEach, beforeEach, describe } from "vitest";
import { authorizationCases } from "./cases/authorization.js";
import { deliveryCases } from "./cases/delivery.js";
import { resumeCases } from "./cases/resume.js";
import { shutdownCases } from "./cases/shutdown.js";
import { slowReaderCases } from "./cases/slow-readers.js";
import { sseEventLineCases } from "./cases/sse-event-lines.js";
import { sseProtocolCases } from "./cases/sse-protocol.js";
import { thirdPartyClientCases } from "./cases/third-party-clients.js";
import { streamLifetimeCases } from "./cases/stream-lifetime.js";
import { websocketNotOfferedCases } from "./cases/websocket-not-offered.js";
import { wsProtocolCases } from "./cases/ws-protocol.js";
import { Harness, transports, type ConformanceOptions, type ServerFactory } from "./harness.js";

export { Harness, RecordingLogger, openStream, publishAll, refusal, withIds, transports } from "./harness.js";
export type { ConformanceOptions, Served, ServerFactory, StartedServer, StreamClient, Transport } from "./harness.js";
export { ClientScope } from "./client-scope.js";
export { SseClient } from "./sse-client.js";
export { SseParser, type ParsedSseEvent } from "./sse-parser.js";
export { WsClient, type WsClientOptions } from "./ws-client.js";
export { nodeHttpServer } from "./node-http-server.js";
export { runServerCrashCases } from "./server-crash.js";
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
  const offered = options.transports ?? transports;
  if (!offered.includes("sse") || offered.some((transport) => !transports.includes(transport))) {
    throw new TypeError(`runConformance: transports must include "sse" and name only "sse" and "websocket", got ${JSON.stringify(offered)}`);
  }
  describe(`eventwire conformance: ${name}`, () => {
    let harness: Harness;
    beforeEach(() => {
      harness = new Harness(factory, options);
    });
    afterEach(async () => {
      await harness.closeAll();
    });
    const current = () => harness;
    deliveryCases(current, offered);
    sseProtocolCases(current);
    sseEventLineCases(current, offered);
    if (offered.includes("websocket")) wsProtocolCases(current);
    else websocketNotOfferedCases(current);
    authorizationCases(current, offered);
    resumeCases(current, offered);
    slowReaderCases(current, offered);
    shutdownCases(current, offered);
    streamLifetimeCases(current, offered);
    thirdPartyClientCases(current, offered);
  });
}

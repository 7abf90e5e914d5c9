import { runBusConformance } from "@eventwire/conformance/bus";
import { describe, expect } from "vitest";
import { deleteStream, NATS_SERVERS, runNatsTests, startOwnNats, streamEpoch } from "./nats-servers.js";

// The bus suite on NATS JetStream: its contract, in this process and across real hub processes.
describe.skipIf(!runNatsTests)("@eventwire/nats", () => {
  runBusConformance("nats", {
    bus: { module: new URL("../src/index.ts", import.meta.url), export: "natsBus", options: busOptions },
    engine: { name: "NATS", address: (port) => `127.0.0.1:${port}`, deleteStream, start: startOwnNats, restartError: /^no JetStream stream takes/ },
    ids: { checkFresh: expectSequencesFromOne, gapCases: malformedOrForeignIds },
    history: { resumesFromNewestDropped: true /* the stream says its first sequence */ },
    deletedStream: { refusesPublishesUntilRecreated: true, recreatedError: (stream) => `stream "${stream}" was created anew` },
    errors: { prefix: "@eventwire/nats", refused: "connection refused" },
  });
});

/** On an engine of the test's own (which the restart case stops), publishes give up and reconnects come quickly. */
function busOptions(stream: string, servers?: string): Record<string, unknown> {
  if (servers === undefined) return { servers: NATS_SERVERS, stream };
  return { servers, stream, requestTimeoutMs: 1_000, connectionOptions: { reconnectTimeWait: 100, reconnectJitter: 50 } };
}

/** A stream's ids are its epoch and its sequence: `<epoch>-1`, `<epoch>-2`, ... */
async function expectSequencesFromOne(ids: readonly string[], stream: string, servers?: string): Promise<void> {
  const epoch = await streamEpoch(stream, servers);
  expect(ids).toEqual(ids.map((_, i) => `${epoch}-${i + 1}`));
}

/** Ids NATS must answer with a gap on a stream that issued `ids`: malformed, future, another stream's. */
function malformedOrForeignIds(ids: readonly string[]): string[] {
  const [epoch] = ids[0]!.split("-") as [string];
  // (`<epoch>-0` is not among them: it is the cursor of a stream that had stored nothing, exact while nothing was dropped.)
  const malformed = ["5", `${epoch}-`, `${epoch}-05`, `${epoch}-1.5`];
  const future = [`${epoch}-${ids.length + 1}`, `${epoch}-99999999999999999999`];
  const foreign = [`${(parseInt(epoch, 36) - 1).toString(36)}-3` /* a stream of the same name created earlier */, "1795305979099-0" /* a Redis id */];
  return [...malformed, ...future, ...foreign];
}

import { runBusConformance, type BusGapReason } from "@eventwire/conformance/bus";
import { describe, expect } from "vitest";
import { deleteStream, NATS_SERVERS, recreateStream, runNatsTests, startOwnNats, streamEpoch } from "./nats-servers.js";

// The bus suite on NATS JetStream: its contract, in this process and across real hub processes.
describe.skipIf(!runNatsTests)("@eventwire/nats", () => {
  runBusConformance("nats", {
    bus: { module: new URL("../src/index.ts", import.meta.url), export: "natsBus", options: busOptions },
    engine: {
      name: "NATS",
      address: (port) => `127.0.0.1:${port}`,
      deleteStream,
      start: startOwnNats,
      resetHistory: recreateStream,
      restartError: /^no JetStream stream takes/,
    },
    ids: { checkFresh: expectSequencesFromOne, gapCases },
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

/** Ids NATS must answer with a gap on a stream that issued `ids` (and kept them), with the reason it tells. */
function gapCases(ids: readonly string[]): { id: string; reason: BusGapReason }[] {
  const [epoch] = ids[0]!.split("-") as [string];
  const ns = [...epoch].reduce((value, digit) => value * 36n + BigInt(parseInt(digit, 36)), 0n);
  // (`<epoch>-0` is not among them: it is the cursor of a stream that had stored nothing, exact while nothing was dropped.)
  const malformed = ["5", `${epoch}-`, `${epoch}-05`, `${epoch}-1.5`, `0${epoch}-1`];
  return [
    ...malformed.map((id) => ({ id, reason: "unknown" as const })),
    { id: `${epoch}-${ids.length + 1}`, reason: "unknown" }, // newer than the newest
    { id: `${epoch}-99999999999999999999`, reason: "unknown" },
    { id: `${(ns + 1n).toString(36)}-1`, reason: "unknown" }, // a stream created after this one
    { id: `${(ns - 1n).toString(36)}-3`, reason: "reset" }, // a stream of the same name created a nanosecond earlier
    { id: `${(ns / 1_000_000n).toString(36)}-3`, reason: "reset" }, // an id of before epochs had nanoseconds (milliseconds): an earlier history's
    { id: "0hop2x1nyu8w8m:1796305979099-0", reason: "unknown" }, // a Redis bus id
    { id: "lz3k9q1c0a7-3", reason: "reset" }, // an in-memory bus id: to NATS, one of a stream created long ago
  ];
}

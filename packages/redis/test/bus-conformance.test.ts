import { runBusConformance, type BusGapReason } from "@eventwire/conformance/bus";
import { describe, expect } from "vitest";
import { deleteStream, flushDatabase, REDIS_URL, runRedisTests, startOwnRedis } from "./redis-servers.js";

// The bus suite on Redis Streams: its contract, in this process and across real hub processes.
describe.skipIf(!runRedisTests)("@eventwire/redis", () => {
  runBusConformance("redis", {
    bus: { module: new URL("../src/index.ts", import.meta.url), export: "redisBus", options: (stream, url = REDIS_URL) => ({ url, stream }) },
    engine: {
      name: "Redis",
      address: (port) => `redis://127.0.0.1:${port}`,
      deleteStream,
      start: () => startOwnRedis({ persistent: true }),
      resetHistory: (_stream, url) => flushDatabase(url),
    },
    ids: { checkFresh: (ids) => ids.forEach((id) => expect(id).toMatch(/^[0-9a-z]{14}:\d+-\d+$/)), gapCases },
    history: { countSlack: 100 /* MAXLEN ~ keeps up to a node more */, resumesFromNewestDropped: false },
    errors: { prefix: "@eventwire/redis", refused: "ECONNREFUSED" },
  });
});

/** Ids Redis must answer with a gap on a stream that issued `ids` (and kept them), with the reason it tells. */
function gapCases(ids: readonly string[]): { id: string; reason: BusGapReason }[] {
  const [epoch, first] = ids[0]!.split(":") as [string, string];
  const [ms, seq] = ids.at(-1)!.split(":")[1]!.split("-").map(BigInt) as [bigint, bigint];
  const firstMs = BigInt(first.split("-")[0]!);
  const malformed = ["12", "1-", "-1", "a-1", "01-1", "1-2-3", `${epoch}:`, `${epoch}:0-0`, `${epoch}:01-1`, `${epoch}x:1-0`, `${epoch}:99999999999999999999999-0` /* beyond 64 bits */];
  const earlierEpoch = `${"0".repeat(13)}1`;
  const laterEpoch = "z".repeat(14);
  return [
    ...malformed.map((id) => ({ id, reason: "unknown" as const })),
    { id: ids[0]!.split(":")[1]!, reason: "unknown" }, // the format before epochs
    { id: "lz3k9q1c0a7-3", reason: "unknown" }, // an in-memory bus id
    { id: "dna0jdkz9pn9-3", reason: "unknown" }, // a NATS bus id
    { id: `${epoch}:${ms + 1n}-0`, reason: "unknown" }, // newer than the newest
    { id: `${epoch}:${ms}-${seq + 1n}`, reason: "unknown" },
    { id: `${laterEpoch}:${first}`, reason: "unknown" }, // an epoch that has not begun
    { id: `${earlierEpoch}:${first}`, reason: "reset" }, // an earlier history's (its entry id is one of this one's)
    { id: `${epoch}:${firstMs - 1n}-0`, reason: "expired" }, // older than the oldest entry
  ];
}

import { runBusConformance } from "@eventwire/conformance/bus";
import { describe, expect } from "vitest";
import { deleteStream, REDIS_URL, runRedisTests, startOwnRedis } from "./redis-servers.js";

// The bus suite on Redis Streams: its contract, in this process and across real hub processes.
describe.skipIf(!runRedisTests)("@eventwire/redis", () => {
  runBusConformance("redis", {
    bus: { module: new URL("../src/index.ts", import.meta.url), export: "redisBus", options: (stream, url = REDIS_URL) => ({ url, stream }) },
    engine: { name: "Redis", address: (port) => `redis://127.0.0.1:${port}`, deleteStream, start: () => startOwnRedis({ persistent: true }) },
    ids: { checkFresh: (ids) => ids.forEach((id) => expect(id).toMatch(/^\d+-\d+$/)), gapCases: malformedOrUnknownIds },
    history: { countSlack: 100 /* MAXLEN ~ keeps up to a node more */, resumesFromNewestDropped: false },
    errors: { prefix: "@eventwire/redis", refused: "ECONNREFUSED" },
  });
});

/** Ids Redis must answer with a gap on a stream that issued `ids`: malformed, unknown, from the future. */
function malformedOrUnknownIds(ids: readonly string[]): string[] {
  const [ms, seq] = ids.at(-1)!.split("-").map(BigInt) as [bigint, bigint];
  const first = BigInt(ids[0]!.split("-")[0]!);
  const malformed = ["12", "1-", "-1", "a-1", "01-1", "1-2-3", "99999999999999999999999-0" /* beyond 64 bits */];
  // (`0-0` is not among them: it is the cursor of a stream that had issued nothing, exact while nothing was trimmed.)
  return [...malformed, `${ms + 1n}-0`, `${ms}-${seq + 1n}` /* newer than the newest */, `${first - 1n}-0` /* older than the stream */];
}

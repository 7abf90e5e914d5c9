import { nodeHttpServer, runConformance } from "@eventwire/conformance";
import { streamPerBusName } from "@eventwire/conformance/bus";
import { describe } from "vitest";
import { redisBus } from "../src/index.js";
import { deleteStream, REDIS_URL, runRedisTests } from "./redis-servers.js";

// The whole conformance suite, on hubs whose bus is Redis: hubs the suite gives one bus name
// share one stream, as processes do.
describe.skipIf(!runRedisTests)("@eventwire/redis", () => {
  const bus = streamPerBusName((stream) => redisBus({ url: REDIS_URL, stream }), deleteStream);
  runConformance("redis bus on node:http", nodeHttpServer, { bus });
});

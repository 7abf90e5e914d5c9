import { runConformance } from "@eventwire/conformance";
import { Redis } from "ioredis";
import { afterAll, describe } from "vitest";
import { redisBus } from "../src/index.js";
import { serveOnNodeHttp } from "./node-server.js";
import { REDIS_URL, runRedisTests, uniqueStream } from "./redis-servers.js";

// The whole conformance suite, on hubs whose bus is Redis: hubs the suite gives one bus name
// share one stream, as processes do.
describe.skipIf(!runRedisTests)("@eventwire/redis", () => {
  const prefix = uniqueStream("conformance");
  const streams = new Set<string>();
  afterAll(async () => {
    const admin = new Redis(REDIS_URL);
    if (streams.size) await admin.del(...streams);
    await admin.quit();
  });

  runConformance("redis bus on node:http", serveOnNodeHttp, {
    bus: (name) => {
      const stream = `${prefix}:${name}`;
      streams.add(stream);
      return redisBus({ url: REDIS_URL, stream });
    },
  });
});

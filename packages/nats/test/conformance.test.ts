import { runConformance } from "@eventwire/conformance";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, describe } from "vitest";
import { natsBus } from "../src/index.js";
import { serveOnNodeHttp } from "./node-server.js";
import { NATS_SERVERS, runNatsTests, uniqueStream } from "./nats-servers.js";

// The whole conformance suite, on hubs whose bus is NATS JetStream: hubs the suite gives one
// bus name share one stream, as processes do.
describe.skipIf(!runNatsTests)("@eventwire/nats", () => {
  const prefix = uniqueStream("conformance");
  const streams = new Set<string>();
  afterAll(async () => {
    const nc = await connect({ servers: NATS_SERVERS });
    const jsm = await jetstreamManager(nc);
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  runConformance("nats bus on node:http", serveOnNodeHttp, {
    bus: (name) => {
      const stream = `${prefix}_${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
      streams.add(stream);
      return natsBus({ servers: NATS_SERVERS, stream });
    },
  });
});

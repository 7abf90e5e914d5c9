import { nodeHttpServer, runConformance } from "@eventwire/conformance";
import { streamPerBusName } from "@eventwire/conformance/bus";
import { describe } from "vitest";
import { natsBus } from "../src/index.js";
import { deleteStream, NATS_SERVERS, runNatsTests } from "./nats-servers.js";

// The whole conformance suite, on hubs whose bus is NATS JetStream: hubs the suite gives one
// bus name share one stream, as processes do.
describe.skipIf(!runNatsTests)("@eventwire/nats", () => {
  const bus = streamPerBusName((stream) => natsBus({ servers: NATS_SERVERS, stream }), deleteStream);
  // The shared nats-server keeps its default max_payload: 1 MiB an event.
  runConformance("nats bus on node:http", nodeHttpServer, { bus, maxEventBytes: 1 << 20 });
});

import { existsSync } from "node:fs";
import { EngineProcess } from "@eventwire/conformance/bus";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { streamEpoch as epochOf } from "../src/event-id.js";

/** The shared NATS (with JetStream) the tests use (never stopped by them). */
export const NATS_SERVERS = process.env.EVENTWIRE_NATS_SERVERS ?? "127.0.0.1:4222";

/**
 * Whether the shared NATS answers with JetStream enabled. Without it the suites fail at once,
 * unless told to skip (`EVENTWIRE_SKIP_NATS=1`, outside CI), so a missing service is never a pass.
 */
export async function natsAvailable(): Promise<boolean> {
  try {
    await withJetStream(NATS_SERVERS, async () => undefined); // fails when JetStream is not enabled
    return true;
  } catch {
    return false;
  }
}

export const natsUp = await natsAvailable();
/** `EVENTWIRE_SKIP_NATS=1` skips these suites where no NATS runs; CI ignores it, so CI never skips them. */
const skipRequested = process.env.EVENTWIRE_SKIP_NATS === "1" && !process.env.CI;
export const runNatsTests = !skipRequested;
if (skipRequested) {
  const banner = "=".repeat(78);
  console.warn(`\n${banner}\n@eventwire/nats: EVENTWIRE_SKIP_NATS=1, SKIPPING the NATS tests.\n${banner}\n`);
} else if (!natsUp) {
  // A missing service fails every suite file, saying how to get one: never a silent pass.
  throw new Error(`@eventwire/nats: NO NATS WITH JETSTREAM at ${NATS_SERVERS}. Start one with: nats-server -a 127.0.0.1 -p 4222 -js & (or set EVENTWIRE_SKIP_NATS=1 to skip these tests)`);
}

/** Runs `use` with a JetStream manager on a connection of its own to `servers`. */
async function withJetStream<T>(servers: string, use: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>): Promise<T> {
  const nc = await connect({ servers, timeout: 2_000, reconnect: false });
  try {
    return await use(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

/** Deletes a stream on the shared NATS, or on `servers`; a stream that is not there is fine. */
export function deleteStream(stream: string, servers = NATS_SERVERS): Promise<void> {
  return withJetStream(servers, async (jsm) => void (await jsm.streams.delete(stream).catch(() => false)));
}

/** The epoch a stream's ids start with: its creation time (to the nanosecond), in base 36. */
export function streamEpoch(stream: string, servers = NATS_SERVERS): Promise<string> {
  return withJetStream(servers, async (jsm) => epochOf((await jsm.streams.info(stream)).created));
}

/** Deletes a stream on a NATS of a test's own and creates it again with the same configuration, as an operator would. */
export function recreateStream(stream: string, servers: string): Promise<void> {
  if (servers === NATS_SERVERS) throw new Error("refusing to recreate a stream on the shared NATS");
  return withJetStream(servers, async (jsm) => {
    const { config } = await jsm.streams.info(stream);
    await jsm.streams.delete(stream);
    await jsm.streams.add(config);
  });
}

function natsServerBinary(): string {
  for (const path of ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]) {
    if (existsSync(path)) return path;
  }
  return "nats-server";
}

/**
 * A nats-server (JetStream, file store in a temp dir) of the test's own, on a spare port, which the
 * test may kill and restart. `down()` stops it with SIGTERM, so JetStream flushes its files first
 * (SIGKILL may lose its last writes).
 */
export function startOwnNats(): Promise<EngineProcess> {
  return EngineProcess.start({
    name: "nats-server",
    command: natsServerBinary(),
    address: (port) => `127.0.0.1:${port}`,
    args: (port, dir) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
    ready: (servers) => withJetStream(servers, async () => undefined),
    downSignal: "SIGTERM",
  });
}

import { EngineProcess, type EngineCommand } from "@eventwire/conformance/bus";
import { Redis } from "ioredis";

/** The shared Redis the tests use (never stopped by them). */
export const REDIS_URL = process.env.EVENTWIRE_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Whether the shared Redis answers. Without it the suites fail at once, unless told to skip
 * (`EVENTWIRE_SKIP_REDIS=1`, outside CI), so a missing service is never mistaken for a pass.
 */
export async function redisAvailable(): Promise<boolean> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export const redisUp = await redisAvailable();
/** `EVENTWIRE_SKIP_REDIS=1` skips these suites where no Redis runs; CI ignores it, so CI never skips them. */
const skipRequested = process.env.EVENTWIRE_SKIP_REDIS === "1" && !process.env.CI;
export const runRedisTests = !skipRequested;
if (skipRequested) {
  const banner = "=".repeat(78);
  console.warn(`\n${banner}\n@eventwire/redis: EVENTWIRE_SKIP_REDIS=1, SKIPPING the Redis tests.\n${banner}\n`);
} else if (!redisUp) {
  // A missing service fails every suite file, saying how to get one: never a silent pass.
  throw new Error(
    `@eventwire/redis: NO REDIS at ${REDIS_URL}. Start one with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no (or set EVENTWIRE_SKIP_REDIS=1 to skip these tests)`,
  );
}

/** Deletes a stream and its epoch key (`<stream>:epoch`) on the shared Redis, or on the one at `url`. */
export async function deleteStream(stream: string, url = REDIS_URL): Promise<void> {
  const admin = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: (attempt) => (attempt > 5 ? null : 200) });
  try {
    await admin.del(stream, `${stream}:epoch`);
  } finally {
    admin.disconnect();
  }
}

/** FLUSHDB on a Redis of a test's own (never the shared one: its other streams belong to other tests). */
export async function flushDatabase(url: string): Promise<void> {
  if (url === REDIS_URL) throw new Error("refusing to flush the shared Redis");
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await admin.flushdb();
  } finally {
    admin.disconnect();
  }
}

/**
 * A redis-server of the test's own, on a spare port, which the test may kill, freeze and restart.
 * `persistent` keeps an fsync-always AOF in its temp dir, so a restart keeps every acknowledged entry.
 */
export function startOwnRedis(options: { persistent?: boolean } = {}): Promise<EngineProcess> {
  const persistence = options.persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  const command: EngineCommand = {
    name: "redis-server",
    command: "redis-server",
    address: (port) => `redis://127.0.0.1:${port}`,
    args: (port, dir) => ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...persistence],
    async ready(url) {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on("error", () => undefined);
      try {
        await client.connect(); // waits for "ready": the AOF is loaded
      } finally {
        client.disconnect();
      }
    },
  };
  return EngineProcess.start(command);
}

import { createHub } from "@eventwire/core";
import { eventwire, globalHub } from "@eventwire/next-app";
import { redisBus } from "@eventwire/redis";

// The serverless pairing (docs/protocol.md#runtimes-and-platforms): a shared Redis bus, and
// maxStreamMs so each stream ends before a platform would cut it. The rotation test starts several
// `next start` instances of this app with the Redis stream and the lifetime in the environment.
export const { GET, OPTIONS } = eventwire(() =>
  globalHub("rotating", () => {
    const stream = process.env.EVENTWIRE_REDIS_STREAM;
    if (!stream) throw new Error("EVENTWIRE_REDIS_STREAM is not set");
    return createHub({
      authorize: true,
      maxStreamMs: Number(process.env.EVENTWIRE_MAX_STREAM_MS),
      bus: redisBus({ url: process.env.EVENTWIRE_REDIS_URL ?? "redis://127.0.0.1:6379", stream }),
    });
  }),
);

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

import { createHub, type Hub } from "@eventwire/core";
import { authorizeSignedIn } from "@eventwire/example-express-dashboard";
import { redisBus } from "@eventwire/redis";

/**
 * The hub every process of this app creates, agent and web alike: the same bus (one Redis stream)
 * and the same event shape, so an event published in the agent process reaches every connection of
 * every web process, once and in order, and a client can resume on any web process.
 *
 * - `REDIS_URL` (default `redis://127.0.0.1:6379`)
 * - `EVENTWIRE_STREAM`, the stream key the processes share (default `eventwire-calls`)
 */
export function createCallHub(): Hub<"tenant"> {
  return createHub({
    bus: redisBus({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", stream: process.env.EVENTWIRE_STREAM ?? "eventwire-calls" }),
    sessionKey: "callId",
    scopes: { tenant: "orgId" }, // each call's customer
    optIn: ["llm.tool_result"],
    // Kept in Redis: a browser resumes from it after a blip, or after a web process restarts.
    history: { maxEvents: 5_000, maxAgeMs: 60_000 },
    // The dashboard's sign-in: a customer watches its own calls, the operator every call
    // (docs/protocol.md#sessions-scopes-and-authorization). Signing in again on one web process
    // ends the previous sign-in's streams on all of them: the bus carries the revocation.
    authorize: authorizeSignedIn,
  });
}

/** Runs `close` once on the first SIGINT or SIGTERM (Ctrl-C reaches npm and its children alike), then exits. */
export function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
}

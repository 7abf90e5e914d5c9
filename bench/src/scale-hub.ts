import { createHub, type Hub, type HubOptions } from "@eventwire/core";
import { redisBus } from "@eventwire/redis";

/** A hub of the scale run on the shared Redis at 127.0.0.1:6379, on `stream` (the web processes' and the agent's). */
export async function scaleHub(stream: string, options: HubOptions = {}): Promise<Hub> {
  const hub = createHub({
    bus: redisBus({ url: "redis://127.0.0.1:6379", stream, connectTimeoutMs: 5_000 }),
    sessionKey: "callId",
    authorize: true,
    logger: { warn() {}, error: (message, error) => console.error(message, error) },
    ...options,
  });
  await hub.ready();
  return hub;
}

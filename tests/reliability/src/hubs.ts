import { RecordingLogger } from "@eventwire/conformance";
import { createHub, type EventwireRequest, type Hub, type HubOptions } from "@eventwire/core";
import type { NamedFactory, ReliabilityServer } from "./servers.js";

export type Published = Record<string, unknown> & { event: string; id: string };

/**
 * `authorize` for tests: a request with an `x-sessions: S1,S2` header may see only those sessions,
 * any other request everything.
 */
export function grantFromHeader(request: EventwireRequest): true | { sessions: string[] } {
  const header = request.headers["x-sessions"];
  return typeof header === "string" ? { sessions: header.split(",") } : true;
}

export interface ServedHub {
  hub: Hub;
  logger: RecordingLogger;
  server: ReliabilityServer;
  /** Closes the hub, then the server. */
  close(): Promise<void>;
}

/** A hub (quiet logger, authorize from the `x-sessions` header unless given) served by `factory`. */
export async function serveHub(factory: NamedFactory, options: HubOptions = {}): Promise<ServedHub> {
  const logger = new RecordingLogger();
  const hub = createHub({ authorize: grantFromHeader, logger, ...options });
  await hub.ready();
  const server = await factory.start(hub);
  return {
    hub,
    logger,
    server,
    close: async () => {
      await hub.close();
      await server.close();
    },
  };
}

/** Publishes `events` in order, yielding to I/O every `yieldEvery` events; returns them with their ids. */
export async function publishPaced(hub: Hub, events: readonly { event: string; [field: string]: unknown }[], yieldEvery = 100, published: Published[] = []): Promise<Published[]> {
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const id = await hub.publish(event);
    published.push({ ...event, id });
    if ((i + 1) % yieldEvery === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return published;
}

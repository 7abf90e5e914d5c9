/**
 * A process of the multi-process cases (see hub-process.ts). It loads core and the module
 * EVENTWIRE_PRELOAD_MODULE names, says it is ready, then does what the parent asks over IPC, one
 * message at a time: open a hub on a bus (serving SSE and WebSocket at /events on node:http, on an
 * adapter's server, or not at all), publish through it, revoke streams through it, close it. It
 * exits when the parent goes away.
 */
import { createHub, type Bus, type EventwireRequest, type Grant, type Hub, type Logger } from "@eventwire/core";
import type { StartedServer } from "../harness.js";
import { nodeHttpServer } from "../node-http-server.js";
import type { ChildBus, ChildMessage, ChildServer, OpenOptions, OutgoingEvent, ParentMessage, PublishResult } from "./hub-process.js";

// Never outlive the test that started it.
process.on("disconnect", () => process.exit(0));

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

const logger: Logger = {
  warn: (message) => send({ type: "log", level: "warn", message: String(message) }),
  error: (message, error?: unknown) =>
    send({ type: "log", level: "error", message: `${String(message)} ${error instanceof Error ? error.message : ""}`.trim() }),
};

await import(process.env.EVENTWIRE_PRELOAD_MODULE!); // loaded (and transpiled) before the first hub needs it

let open: { hub: Hub; server: StartedServer | undefined } | undefined;

async function exported(module: string, name: string): Promise<(...args: never[]) => unknown> {
  const value = ((await import(module)) as Record<string, unknown>)[name];
  if (typeof value !== "function") throw new TypeError(`${module} has no function export "${name}"`);
  return value as (...args: never[]) => unknown;
}

async function startServer(hub: Hub, serve: true | ChildServer, port: number): Promise<StartedServer> {
  if (serve === true) return nodeHttpServer(hub, port);
  const start = (await exported(serve.module, serve.export)) as (hub: Hub, port: number) => Promise<StartedServer>;
  return start(hub, port);
}

async function openHub(bus: ChildBus | undefined, options: OpenOptions): Promise<ChildMessage> {
  if (open) throw new Error("a hub is already open");
  const makeBus = bus && ((await exported(bus.module, bus.export)) as (options: object) => Bus);
  const delay = options.authorizeDelayMs;
  const header = options.grantHeader;
  const authorize = header
    ? (request: EventwireRequest) => {
        const grant = request.headers[header];
        return typeof grant === "string" ? (JSON.parse(grant) as Grant) : true;
      }
    : delay
      ? () => new Promise<true>((resolve) => setTimeout(() => resolve(true), delay[0] + Math.random() * (delay[1] - delay[0])))
      : true;
  const hub = createHub({ authorize, ...options.hubOptions, ...(makeBus ? { bus: makeBus(bus.options) } : {}), logger });
  try {
    await hub.ready();
    open = { hub, server: options.serve === false ? undefined : await startServer(hub, options.serve, options.port ?? 0) };
  } catch (error) {
    await hub.close();
    throw error;
  }
  return { type: "opened", url: open.server?.url };
}

async function publish(events: OutgoingEvent[], concurrent: boolean): Promise<ChildMessage> {
  const hub = open?.hub;
  if (!hub) throw new Error("no hub is open");
  const attempt = (event: OutgoingEvent): Promise<PublishResult> =>
    hub.publish(event).then(
      (id) => ({ id }),
      (error: Error) => ({ error: error.message }),
    );
  const results: PublishResult[] = [];
  if (concurrent) results.push(...(await Promise.all(events.map(attempt))));
  else for (const event of events) results.push(await attempt(event));
  return { type: "published", results };
}

/** Heap and Buffer bytes; with `gc`, after collecting garbage until two measures agree within 64 KiB. */
async function stats(gc: boolean): Promise<ChildMessage> {
  const hub = open?.hub;
  if (!hub) throw new Error("no hub is open");
  const held = () => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  let heldBytes = held();
  const collect = (globalThis as { gc?: () => void }).gc;
  if (gc && collect) {
    for (let round = 0, last = Number.POSITIVE_INFINITY; round < 8; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      collect();
      heldBytes = held();
      if (Math.abs(heldBytes - last) < 64 * 1024) break;
      last = heldBytes;
    }
  }
  const sockets = process.getActiveResourcesInfo().filter((resource) => resource === "TCPSocketWrap").length;
  return { type: "stats", connections: hub.stats().connections, heldBytes, sockets };
}

async function revoke(selector: Record<string, unknown>): Promise<ChildMessage> {
  const hub = open?.hub;
  if (!hub) throw new Error("no hub is open");
  await hub.revoke(selector);
  return { type: "revoked" };
}

async function closeHub(): Promise<ChildMessage> {
  const closing = open;
  open = undefined;
  await Promise.all([closing?.server?.close(), closing?.hub.close()]);
  return { type: "closed" };
}

// One message at a time, each answered with one reply, in order.
let queue = Promise.resolve();
process.on("message", (message: ParentMessage) => {
  queue = queue.then(async () => {
    try {
      if (message.type === "open") send(await openHub(message.bus, message));
      else if (message.type === "publish") send(await publish(message.events, message.concurrent ?? false));
      else if (message.type === "stats") send(await stats(message.gc ?? false));
      else if (message.type === "revoke") send(await revoke(message.selector));
      else send(await closeHub());
    } catch (error) {
      send({ type: "failed", error: error instanceof Error ? error.message : String(error) });
    }
  });
});

send({ type: "ready" });

/**
 * The hub process's side of a conformance run in another runtime (Bun, Deno): it makes the hubs the
 * suite asks for, serves each with the server the runtime's entry file starts, and answers the
 * suite over stdin/stdout, one JSON line per message (messages.ts). What cannot cross the process
 * boundary stays with the test: `authorize`, action handlers and a pipe's items are calls back to
 * it; an attached EventEmitter's events are forwarded as they are emitted.
 *
 * ```ts
 * // a runtime's entry file
 * import { hostHubs } from "@eventwire/conformance/remote";
 * hostHubs(async (hub) => { ...serve hub...; return { url, close } });
 * ```
 * Runs on Node's APIs that Bun and Deno implement too (`process.stdin`, `process.stdout`).
 */
import { createHub, type ActionContext, type Grant, type Hub, type HubOptions, type Logger } from "@eventwire/core";
import { EventEmitter } from "node:events";
import { namedMerges } from "../merges.js";
import { fromWire, lineReader, type DistributiveOmit, wireError, type ChildCall, type ChildNote, type ChildReply, type OpenResult, type ParentNote, type ParentReply, type ParentRequest } from "./messages.js";

/** A server serving one hub, as the runtime's entry file starts it. */
export interface HostedServer {
  url: string;
  close(): Promise<void>;
}

export function hostHubs(serve: (hub: Hub) => Promise<HostedServer>): void {
  const write = (message: ChildReply | ChildCall | ChildNote) => void process.stdout.write(`${JSON.stringify(message)}\n`);
  const hubs = new Map<number, { hub: Hub; server: HostedServer | undefined }>();
  const emitters = new Map<number, EventEmitter>();
  const contexts = new Map<string, ActionContext>();
  const calls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextHub = 1;
  let nextCall = 1;

  const call = <T>(message: DistributiveOmit<ChildCall, "call">): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextCall++;
      calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      write({ ...message, call: id } as ChildCall);
    });

  function logger(hub: number): Logger {
    return {
      warn: (message) => write({ op: "log", hub, level: "warn", message: String(message) }),
      error: (message) => write({ op: "log", hub, level: "error", message: String(message) }),
    };
  }

  function hubOf(id: number): Hub {
    const open = hubs.get(id);
    if (!open) throw new Error(`no hub ${id}`);
    return open.hub;
  }

  async function open(options: Record<string, unknown>): Promise<OpenResult> {
    const id = nextHub++;
    const { authorize, compact, ...rest } = options;
    const hubOptions: HubOptions = {
      ...(rest as HubOptions),
      // Merges come by name (functions cannot cross the boundary): this process's own copies.
      ...(compact === undefined ? {} : { compact: Object.fromEntries(Object.entries(compact as Record<string, string>).map(([event, name]) => [event, namedMerges[name]!])) }),
      logger: logger(id),
      authorize: authorize === "remote" ? (request) => call<boolean | Grant>({ op: "authorize", hub: id, request: { ...request, raw: undefined } }) : (authorize as boolean | undefined),
    };
    const hub = createHub(hubOptions);
    hubs.set(id, { hub, server: undefined });
    await hub.ready();
    const server = await serve(hub);
    hubs.get(id)!.server = server;
    return { hub: id, url: server.url };
  }

  async function pipe(hub: Hub, source: number): Promise<null> {
    let returned = false;
    const items: AsyncIterable<unknown> = {
      [Symbol.asyncIterator]: () => ({
        next: () => call<IteratorResult<unknown>>({ op: "next", source }),
        return: async () => {
          if (!returned) write({ op: "pipe-returned", source });
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    await hub.pipe(items as AsyncIterable<{ event: string }>);
    return null;
  }

  function action(hubId: number, name: string): null {
    hubOf(hubId).action(name, (message, ctx) => {
      if (!contexts.has(ctx.connectionId)) {
        contexts.set(ctx.connectionId, ctx);
        ctx.onClose(() => {
          contexts.delete(ctx.connectionId);
          write({ op: "connection-closed", connection: ctx.connectionId });
        });
      }
      return call({ op: "action", hub: hubId, name, message, ctx: { connectionId: ctx.connectionId, sessionId: ctx.sessionId, principal: ctx.principal } });
    });
    return null;
  }

  async function answer(request: ParentRequest): Promise<unknown> {
    switch (request.op) {
      case "open":
        return open(request.options);
      case "publish":
        return hubOf(request.hub).publish(request.event as { event: string });
      case "stats":
        return hubOf(request.hub).stats();
      case "cursor":
        return hubOf(request.hub).cursor();
      case "close":
        await hubOf(request.hub).close();
        return null;
      case "revoke":
        await hubOf(request.hub).revoke(request.selector);
        return null;
      case "stop-server": {
        const open = hubs.get(request.hub);
        hubs.delete(request.hub);
        await open?.server?.close();
        return null;
      }
      case "pipe":
        return pipe(hubOf(request.hub), request.source);
      case "action":
        return action(request.hub, request.name);
    }
  }

  function note(message: ParentNote): void {
    if (message.op === "attach") {
      const emitter = new EventEmitter();
      emitters.set(message.source, emitter);
      const detach = hubOf(message.hub).attach(emitter, { events: message.events });
      emitter.once("eventwire:detach", detach);
    } else if (message.op === "emit") emitters.get(message.source)?.emit(message.name, message.payload);
    else if (message.op === "detach") {
      emitters.get(message.source)?.emit("eventwire:detach");
      emitters.delete(message.source);
    } else contexts.get(message.connection)?.send(message.event as { event: string });
  }

  const onMessage = (message: Record<string, unknown>) => {
    if (typeof message.reply === "number") {
      const { reply, result, error } = message as ParentReply;
      const waiting = calls.get(reply);
      calls.delete(reply);
      if (error) waiting?.reject(fromWire(error));
      else waiting?.resolve(result);
    } else if (typeof message.id === "number") {
      const request = message as ParentRequest;
      answer(request).then(
        (result) => write({ id: request.id, result }),
        (error: unknown) => write({ id: request.id, error: wireError(error) }),
      );
    } else note(message as ParentNote);
  };
  process.stdin.on("data", lineReader(onMessage, (line) => process.stderr.write(`hub host: not a message: ${line}\n`)));
  // Never outlive the test that started it.
  process.stdin.on("end", () => process.exit(0));
  write({ op: "ready" });
}

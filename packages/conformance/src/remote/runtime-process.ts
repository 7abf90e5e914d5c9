import { MemoryBus, type ActionContext, type ActionHandler, type EventwireRequest, type HubOptions, type HubStats, type Logger, type RevokeSelector } from "@eventwire/core";
import { spawn, type ChildProcess } from "node:child_process";
import type { EventEmitter } from "node:events";
import { mergeName } from "../merges.js";
import type { ServedHub } from "../served-hub.js";
import { fromWire, lineReader, type DistributiveOmit, wireError, type ChildCall, type ChildNote, type ChildReply, type OpenResult, type ParentNote, type ParentReply, type ParentRequest, type WireHubOptions } from "./messages.js";

/** How to start a hub process: a runtime's binary and the arguments that run its entry file (see hub-host.ts). */
export interface RuntimeCommand {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** Added to the environment. */
  env?: Record<string, string>;
  /** How long starting may take (the first start after a change compiles the sources). Default 60 s. */
  startTimeoutMs?: number;
  /**
   * How `stop` ends the process. Default: its stdin closes, and hostHubs exits. With a signal, the
   * process is started in a process group of its own and `stop` signals the group, as a deployment
   * stops a server (`next start` shuts down on SIGTERM); `stop` then fails if the group had to be
   * killed.
   */
  stopSignal?: NodeJS.Signals;
  /** Gets each line of its stdout that is no message. Default: written to stderr, prefixed with the command. */
  output?: (line: string) => void;
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void };
/**
 * A hub process of another runtime (Bun, Deno), started once for a suite, in which each case opens
 * fresh hubs with its options and a server of the runtime serving each. Its hubs are driven through
 * {@link RemoteHub}; a crash of the process fails every request in flight and every later one.
 */
export class RuntimeProcess {
  readonly #child: ChildProcess;
  readonly #requests = new Map<number, Pending>();
  readonly #authorizers = new Map<number, { authorize: HubOptions["authorize"]; logger: Logger }>();
  readonly #actions = new Map<string, ActionHandler>();
  readonly #sources = new Map<number, { next(): Promise<IteratorResult<unknown>>; return(): void }>();
  readonly #closeListeners = new Map<string, (() => void)[]>();
  readonly #exited: Promise<void>;
  #ready!: () => void;
  readonly #started: Promise<void>;
  #nextId = 1;
  #failure: Error | undefined;

  private constructor(private readonly command: RuntimeCommand) {
    this.#child = spawn(command.command, command.args, {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      stdio: ["pipe", "pipe", "inherit"],
      detached: command.stopSignal !== undefined,
    });
    this.#started = new Promise<void>((resolve) => (this.#ready = resolve));
    this.#exited = new Promise((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.once("exit", (code, signal) => this.#fail(new Error(`the ${command.command} hub process exited (${code ?? signal})`)));
    this.#child.once("error", (error) => this.#fail(error));
    const output = command.output ?? ((line: string) => process.stderr.write(`[${command.command}] ${line}\n`));
    this.#child.stdout!.on("data", lineReader((message) => this.#onMessage(message), output));
  }

  /** Starts the process; resolves once it is ready to open hubs. */
  static async start(command: RuntimeCommand): Promise<RuntimeProcess> {
    const runtime = new RuntimeProcess(command);
    const timeoutMs = command.startTimeoutMs ?? 60_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        runtime.#started,
        runtime.#exited.then(() => Promise.reject(runtime.#failure)),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${command.command} did not start its hub process within ${timeoutMs} ms`)), timeoutMs))),
      ]);
      return runtime;
    } catch (error) {
      await runtime.stop().catch(() => undefined); // the start's failure is the one to report
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Opens a hub with `options` (authorize answered here), served by the runtime's server. */
  async open(options: HubOptions, logger: Logger): Promise<{ hub: RemoteHub; url: string; close(): Promise<void> }> {
    const { authorize, logger: _ignored, bus, compact, ...rest } = options;
    if (bus !== undefined) throw new TypeError("a hub of another process cannot take a bus object; it uses its own in-memory bus");
    const wire: WireHubOptions = {
      ...plainOptions(rest),
      ...(compact === undefined ? {} : { compact: compactByName(compact) }),
      authorize: typeof authorize === "function" ? "remote" : authorize,
    };
    const opened = (await this.request({ op: "open", options: wire })) as OpenResult;
    this.#authorizers.set(opened.hub, { authorize, logger });
    const hub = new RemoteHub(this, opened.hub);
    return { hub, url: opened.url, close: () => this.request({ op: "stop-server", hub: opened.hub }).then(() => undefined) };
  }

  /**
   * Ends the process (its stdin closes, or its group gets the command's `stopSignal`); killed if it
   * takes longer than `timeoutMs`, which fails the stop of a process stopped by a signal.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const signal = this.command.stopSignal;
    const pid = this.#child.pid!;
    if (!signal) this.#child.stdin!.end();
    else {
      try {
        process.kill(-pid, signal);
      } catch {
        // exited just now: its exit event is on its way
      }
    }
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      if (!signal) this.#child.kill("SIGKILL");
      else {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // the group is gone already
        }
      }
    }, timeoutMs);
    await this.#exited;
    clearTimeout(timer);
    if (killed && signal) throw new Error(`${this.command.command} ${this.command.args.join(" ")} did not exit within ${timeoutMs} ms of ${signal}: killed`);
  }

  /** @internal */
  request(message: DistributiveOmit<ParentRequest, "id">): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#requests.set(id, { resolve, reject });
      this.#write({ ...message, id } as ParentRequest);
    });
  }

  /** @internal */
  note(message: ParentNote): void {
    if (!this.#failure) this.#write(message);
  }

  /** @internal */
  addAction(hub: number, name: string, handler: ActionHandler): void {
    this.#actions.set(`${hub}\0${name}`, handler);
  }

  /** @internal */
  addSource(source: number, iterator: AsyncIterator<unknown>, map: ((item: unknown) => unknown) | undefined): void {
    this.#sources.set(source, {
      next: async () => {
        for (;;) {
          const item = await iterator.next();
          if (item.done) return { done: true, value: undefined };
          const value = map ? map(item.value) : item.value;
          if (value !== undefined) return { done: false, value };
        }
      },
      return: () => void iterator.return?.(),
    });
  }

  #write(message: ParentRequest | ParentNote | ParentReply): void {
    this.#child.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#requests.values()) pending.reject(this.#failure);
    this.#requests.clear();
  }

  #onMessage(message: Record<string, unknown>): void {
    if (typeof message.call === "number") return void this.#answer(message as ChildCall);
    if (typeof message.id === "number") {
      const { id, result, error } = message as ChildReply;
      const pending = this.#requests.get(id);
      this.#requests.delete(id);
      if (error) pending?.reject(fromWire(error));
      else pending?.resolve(result);
      return;
    }
    const note = message as ChildNote;
    if (note.op === "ready") this.#ready();
    else if (note.op === "log") {
      const logger = this.#authorizers.get(note.hub)?.logger;
      if (note.level === "warn") logger?.warn(note.message);
      else logger?.error(note.message);
    } else if (note.op === "connection-closed") {
      const listeners = this.#closeListeners.get(note.connection) ?? [];
      this.#closeListeners.delete(note.connection);
      for (const listener of listeners) listener();
    } else if (note.op === "pipe-returned") {
      this.#sources.get(note.source)?.return();
      this.#sources.delete(note.source);
    }
  }

  async #answer(call: ChildCall): Promise<void> {
    let reply: ParentReply;
    try {
      reply = { reply: call.call, result: (await this.#run(call)) ?? null };
    } catch (error) {
      reply = { reply: call.call, error: wireError(error) };
    }
    if (!this.#failure) this.#write(reply);
  }

  #run(call: ChildCall): unknown {
    if (call.op === "authorize") {
      const authorize = this.#authorizers.get(call.hub)?.authorize;
      if (typeof authorize !== "function") throw new Error(`hub ${call.hub} has no authorize function here`);
      return authorize(call.request as EventwireRequest);
    }
    if (call.op === "next") {
      const source = this.#sources.get(call.source);
      return source ? source.next() : { done: true, value: undefined };
    }
    const handler = this.#actions.get(`${call.hub}\0${call.name}`);
    if (!handler) throw new Error(`no action ${call.name} here`);
    const { connectionId, sessionId, principal } = call.ctx;
    const context: ActionContext = {
      connectionId,
      sessionId,
      principal,
      send: (event) => this.note({ op: "ctx-send", connection: connectionId, event }),
      onClose: (listener) => {
        const listeners = this.#closeListeners.get(connectionId) ?? [];
        listeners.push(listener);
        this.#closeListeners.set(connectionId, listeners);
      },
    };
    return handler(call.message as Parameters<ActionHandler>[0], context);
  }
}

/**
 * A hub in a {@link RuntimeProcess}, as the conformance cases use one: publishing, stats, sources,
 * actions and close go to the process; `authorize` and action handlers run here when it calls back.
 */
export class RemoteHub implements ServedHub {
  static #nextSource = 1;
  readonly #detachers = new Set<() => void>();
  /** Ids come from the process's in-memory bus: compared by its rule. */
  readonly bus: Pick<MemoryBus, "compareIds"> = new MemoryBus();

  constructor(
    private readonly runtime: RuntimeProcess,
    readonly id: number,
  ) {}

  publish(event: { event: string; [field: string]: unknown }): Promise<string> {
    return this.runtime.request({ op: "publish", hub: this.id, event }) as Promise<string>;
  }

  stats(): Promise<HubStats> {
    return this.runtime.request({ op: "stats", hub: this.id }) as Promise<HubStats>;
  }

  cursor(): Promise<string> {
    return this.runtime.request({ op: "cursor", hub: this.id }) as Promise<string>;
  }

  async revoke(selector: RevokeSelector): Promise<void> {
    await this.runtime.request({ op: "revoke", hub: this.id, selector: { ...selector } });
  }

  async close(): Promise<void> {
    await this.runtime.request({ op: "close", hub: this.id });
    // The process's hub detached its sources; so do the emitters here.
    for (const detach of [...this.#detachers]) detach();
  }

  attach(emitter: EventEmitter, options: { events?: readonly string[]; map?: unknown } = {}): () => void {
    if (!options.events || options.map) throw new TypeError("a hub of another process attaches emitters by a list of event names, without map");
    const source = RemoteHub.#nextSource++;
    this.runtime.note({ op: "attach", hub: this.id, source, events: options.events });
    const listeners = options.events.map((name) => [name, (payload: unknown) => this.runtime.note({ op: "emit", source, name, payload })] as const);
    for (const [name, listener] of listeners) emitter.on(name, listener);
    const detach = () => {
      if (!this.#detachers.delete(detach)) return;
      for (const [name, listener] of listeners) emitter.off(name, listener);
      this.runtime.note({ op: "detach", source });
    };
    this.#detachers.add(detach);
    return detach;
  }

  async pipe<T>(items: AsyncIterable<T>, options: { map?: (item: T) => unknown } = {}): Promise<void> {
    const source = RemoteHub.#nextSource++;
    this.runtime.addSource(source, items[Symbol.asyncIterator](), options.map as ((item: unknown) => unknown) | undefined);
    await this.runtime.request({ op: "pipe", hub: this.id, source });
  }

  action(name: string, handler: ActionHandler): void {
    this.runtime.addAction(this.id, name, handler);
    void this.runtime.request({ op: "action", hub: this.id, name });
  }
}

/** `compact` for a hub of another process: each merge by its name in namedMerges (the process has the same functions). */
function compactByName(compact: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(compact).map(([event, merge]) => {
      const name = mergeName(merge);
      if (name === undefined) throw new TypeError(`compact["${event}"] is not one of the conformance suite's named merges: it cannot reach a hub in another process`);
      return [event, name];
    }),
  );
}

/** Hub options as JSON; a function anywhere but `authorize` cannot cross the boundary and is refused. */
function plainOptions(options: Record<string, unknown>): Record<string, unknown> {
  JSON.stringify(options, (key, value: unknown) => {
    if (typeof value === "function") throw new TypeError(`hub option ${key} is a function: it cannot reach a hub in another process`);
    return value;
  });
  return options;
}

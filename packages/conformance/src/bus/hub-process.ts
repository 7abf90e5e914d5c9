import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The bus a hub of a child process has: `(await import(module))[export](options)`. Plain JSON. */
export interface ChildBus {
  /** A file URL; a `.ts` source works (the child loads TypeScript, see typescript-hooks/). */
  module: string;
  export: string;
  options: Record<string, unknown>;
}

/**
 * An adapter's server for a child process: `(await import(module))[export](hub, port)` starts it
 * serving `hub` on `port` (0: a free one) and resolves to its {@link StartedServer}: a
 * `ServerFactory` that takes a port, so a killed server can be restarted where its clients expect it.
 */
export interface ChildServer {
  /** A file URL; a `.ts` source works. */
  module: string;
  export: string;
}

/** How the child opens a hub: on `bus` (default: the in-memory one), serving or not, with more hub options (JSON). */
export interface OpenOptions {
  /** `true`: /events on node:http; a {@link ChildServer}: that adapter's server. */
  serve: boolean | ChildServer;
  /** Where it listens; default a free port. */
  port?: number;
  hubOptions?: Record<string, unknown>;
  /**
   * An async `authorize` that answers `true` after a random delay between these two (ms), so a
   * client can leave while it runs. Default: the hub's `authorize: true`.
   */
  authorizeDelayMs?: [number, number];
  /**
   * An `authorize` that grants what this request header holds (a grant as JSON, `{ scopes,
   * subject }` say), and everything to a request without it, so each client of a case has its own.
   */
  grantHeader?: string;
}

/** What the open hub reports: its `hub.stats().connections`, and the memory the process holds. */
export interface ChildStats {
  connections: { sse: number; websocket: number };
  /** Heap and Buffer bytes, after garbage collection when asked for (`stats({ gc: true })`). */
  heldBytes: number;
  /** The TCP sockets the process holds open (its servers' and clients' alike, listeners not counted). */
  sockets: number;
}

/** An event to publish: a plain JSON object with a string `event`. */
export type OutgoingEvent = { event: string; [field: string]: unknown };

export type PublishResult = { id: string } | { error: string };

export type ParentMessage =
  | ({ type: "open"; bus?: ChildBus } & OpenOptions)
  | { type: "publish"; events: OutgoingEvent[]; concurrent?: boolean }
  | { type: "stats"; gc?: boolean }
  | { type: "revoke"; selector: Record<string, unknown> }
  | { type: "close" };

export type ChildMessage =
  | { type: "ready" }
  | { type: "opened"; url?: string }
  | { type: "published"; results: PublishResult[] }
  | ({ type: "stats" } & ChildStats)
  | { type: "revoked" }
  | { type: "closed" }
  | { type: "failed"; error: string }
  | { type: "log"; level: "warn" | "error"; message: string };

type Reply = Exclude<ChildMessage, { type: "ready" | "log" }>;

// Run from source (the repo's tests), the child runs sources too, as vitest does here
// (`@eventwire/source`); run from dist, it runs dist. Either way it can import a bus's `.ts` source.
const fromSource = import.meta.url.endsWith(".ts");
const childScript = fileURLToPath(new URL(`./hub-process-child.${fromSource ? "ts" : "js"}`, import.meta.url));
const typescriptHooks = new URL("../../typescript-hooks/register.mjs", import.meta.url).href;
// `--expose-gc`: `stats({ gc: true })` collects garbage before it measures memory.
const execArgv = [...(fromSource ? ["--conditions=@eventwire/source"] : []), "--expose-gc", "--import", typescriptHooks];

/**
 * A real Node process of its own that runs one hub at a time on a bus: without a server (an agent
 * that only publishes), serving /events on node:http (a web process), or on an adapter's server
 * (a server to kill mid-stream). Driven over IPC. Starting a
 * process takes a second or more on a busy machine; opening a hub in a running one takes
 * milliseconds, so a suite starts its processes once and opens fresh hubs in them for each case.
 */
export class HubProcess {
  readonly child: ChildProcess;
  /** The events URL of the open hub, when it serves. */
  url = "";
  /** What the open hub logged (bus errors, say). */
  readonly logs: string[] = [];
  readonly #replies: { resolve(reply: Reply): void; reject(error: Error): void }[] = [];
  readonly #exited: Promise<void>;

  private constructor(preload: string) {
    this.child = fork(childScript, [], {
      execArgv,
      env: { ...process.env, EVENTWIRE_PRELOAD_MODULE: preload },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.child.once("exit", (code, signal) => {
      for (const waiting of this.#replies.splice(0)) waiting.reject(new Error(`the hub process exited (${code ?? signal})`));
    });
    this.child.on("message", (message: ChildMessage) => {
      if (message.type === "log") this.logs.push(`${message.level}: ${message.message}`);
      else if (message.type !== "ready") this.#replies.shift()?.resolve(message);
    });
  }

  /**
   * Starts a process that has loaded core and `preload` (a file URL: the bus or server module it
   * will be asked to use) and is ready to open hubs.
   * The first process after a change transpiles the TypeScript sources (cached for the next ones):
   * start one, then the others, rather than all at once.
   */
  static async start(preload: string, timeoutMs = 60_000): Promise<HubProcess> {
    const hub = new HubProcess(preload);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the hub process did not start within ${timeoutMs} ms`)), timeoutMs);
        hub.child.on("message", (message: ChildMessage) => {
          if (message.type !== "ready") return;
          clearTimeout(timer);
          resolve();
        });
        hub.child.once("exit", (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`the hub process exited (${code ?? signal}) before it was ready; see its stderr above`));
        });
      });
      return hub;
    } catch (error) {
      await hub.kill();
      throw error;
    }
  }

  /** Whether the process still runs. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Opens a fresh hub on `bus` (undefined: in memory), serving as `options` say; resolves once it is ready (and {@link url} set). */
  async open(bus: ChildBus | undefined, options: OpenOptions): Promise<void> {
    this.logs.length = 0;
    const reply = await this.#request({ type: "open", ...(bus ? { bus } : {}), ...options });
    this.url = reply.type === "opened" ? (reply.url ?? "") : "";
  }

  /** Publishes through the open hub (one after another, or all at once); resolves to each result. */
  async publish(events: OutgoingEvent[], options: { concurrent?: boolean } = {}): Promise<PublishResult[]> {
    const reply = await this.#request({ type: "publish", events, concurrent: options.concurrent });
    return reply.type === "published" ? reply.results : [];
  }

  /** Publishes events that must all be acknowledged; resolves to their ids. */
  async publishAcked(events: OutgoingEvent[], options: { concurrent?: boolean } = {}): Promise<string[]> {
    const results = await this.publish(events, options);
    return results.map((result) => {
      if ("error" in result) throw new Error(`publish failed: ${result.error}`);
      return result.id;
    });
  }

  /** The open hub's connections and the process's memory; `gc` collects garbage first, until the heap settles. */
  async stats(options: { gc?: boolean } = {}): Promise<ChildStats> {
    const reply = await this.#request({ type: "stats", gc: options.gc });
    if (reply.type !== "stats") throw new Error(`the hub process answered ${reply.type} to stats`);
    return { connections: reply.connections, heldBytes: reply.heldBytes, sockets: reply.sockets };
  }

  /** `hub.revoke(selector)` on the open hub; resolves when it has (its own streams closed, the bus has the revocation). */
  async revoke(selector: Record<string, unknown>): Promise<void> {
    await this.#request({ type: "revoke", selector });
  }

  /**
   * Closes the open hub (and its server) gracefully; the process keeps running. A process that does
   * not manage within `timeoutMs` is killed (and a suite then starts another).
   */
  async close(timeoutMs = 10_000): Promise<void> {
    await this.closeOutcome(timeoutMs);
  }

  /** {@link close}, resolving to which of the two happened (`"exited"`: the process had already gone). */
  async closeOutcome(timeoutMs = 10_000): Promise<"closed" | "killed" | "exited"> {
    this.url = "";
    if (!this.alive) return "exited";
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timed out">((resolve) => (timer = setTimeout(() => resolve("timed out"), timeoutMs)));
    const outcome = await Promise.race([this.#request({ type: "close" }), timedOut]).finally(() => clearTimeout(timer));
    if (outcome !== "timed out") return "closed";
    await this.kill();
    return "killed";
  }

  /** Kills the process at once (SIGKILL): its connections drop without a goodbye. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill("SIGKILL");
    await this.#exited;
  }

  /** Ends the process: its IPC channel closes, and it exits. Killed if it takes longer than `timeoutMs`. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (!this.alive) return;
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Sends a message and resolves to its reply; the child answers in order, one reply each. */
  #request(message: ParentMessage): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (!this.alive) return reject(new Error(`the hub process has exited; cannot ${message.type}`));
      this.#replies.push({ resolve, reject });
      this.child.send(message);
    }).then((reply) => {
      if (reply.type === "failed") throw new Error(`the hub process could not ${message.type}: ${reply.error}`);
      return reply;
    });
  }
}

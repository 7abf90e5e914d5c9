import { fork, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ChildMessage, OutgoingEvent, ParentMessage } from "./processes/hub-process.js";

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, "processes", "hub-process.ts");
const register = pathToFileURL(join(here, "processes", "register.mjs")).href;

export type PublishResult = { id: string } | { error: string };

/**
 * A real Eventwire process (its own Node, its own hub on the bus): an agent that only
 * publishes, or a web process serving /events. Driven over IPC.
 */
export class HubProcess {
  readonly child: ChildProcess;
  readonly role: "agent" | "web";
  /** The events URL of a web process. */
  url = "";
  /** What its hub logged (bus errors, say). */
  readonly logs: string[] = [];
  readonly #waiting: ((results: PublishResult[]) => void)[] = [];
  readonly #exited: Promise<void>;

  private constructor(role: "agent" | "web", busOptions: object) {
    this.role = role;
    this.child = fork(script, [], {
      execArgv: ["--conditions=@eventwire/source", "--import", register],
      env: { ...process.env, ROLE: role, BUS_OPTIONS: JSON.stringify(busOptions) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.child.on("message", (message: ChildMessage) => {
      if (message.type === "published") this.#waiting.shift()?.(message.results);
      else if (message.type === "log") this.logs.push(`${message.level}: ${message.message}`);
    });
  }

  static async start(role: "agent" | "web", busOptions: object, timeoutMs = 20_000): Promise<HubProcess> {
    const hub = new HubProcess(role, busOptions);
    const ready = await new Promise<ChildMessage & { type: "ready" }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${role} process did not start within ${timeoutMs} ms`)), timeoutMs);
      hub.child.on("message", (message: ChildMessage) => {
        if (message.type !== "ready") return;
        clearTimeout(timer);
        resolve(message);
      });
      hub.child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the ${role} process exited with ${code} before it was ready; logs: ${hub.logs.join(" | ")}`));
      });
    });
    hub.url = ready.url ?? "";
    return hub;
  }

  /** Publishes through this process's hub (one after another, or all at once); resolves to each result. */
  publish(events: OutgoingEvent[], options: { concurrent?: boolean } = {}): Promise<PublishResult[]> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#send({ type: "publish", events, concurrent: options.concurrent });
    });
  }

  /** Publishes events that must all be acknowledged; resolves to their ids. */
  async publishAcked(events: OutgoingEvent[], options: { concurrent?: boolean } = {}): Promise<string[]> {
    const results = await this.publish(events, options);
    return results.map((result) => {
      if ("error" in result) throw new Error(`publish failed: ${result.error}`);
      return result.id;
    });
  }

  /** Kills the process at once (SIGKILL): its connections drop without a goodbye. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.#exited;
  }

  /** Closes its hub gracefully, or kills it when that takes too long. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.#send({ type: "close" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await this.#exited;
    clearTimeout(timer);
  }

  #send(message: ParentMessage): void {
    this.child.send(message);
  }
}

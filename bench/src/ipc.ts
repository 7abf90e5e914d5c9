import type { ChildProcess } from "node:child_process";

/** One request to a child process and its answer, over the IPC channel. */
export interface Request {
  id: number;
  type: string;
  [field: string]: unknown;
}

type Handler = (request: Request) => unknown;

/** In a child: answers the parent's requests; exits when the parent goes away. */
export function serveRequests(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error("run this through bench/src/run.ts (it needs an IPC channel)");
  process.on("disconnect", () => process.exit(0));
  process.on("message", async (request: Request) => {
    try {
      const handler = handlers[request.type];
      if (!handler) throw new Error(`unknown request ${request.type}`);
      const result = await handler(request);
      process.send!({ id: request.id, result });
    } catch (error) {
      process.send!({ id: request.id, error: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  });
}

/** In the parent: sends requests to one child and resolves with its answers. */
export class Remote {
  #next = 1;
  readonly #waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on("message", (message: { id: number; result?: unknown; error?: string }) => {
      const waiter = this.#waiting.get(message.id);
      if (!waiter) return;
      this.#waiting.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`${name}: ${message.error}`));
      else waiter.resolve(message.result);
    });
    child.on("exit", (code, signal) => {
      for (const waiter of this.#waiting.values()) waiter.reject(new Error(`${name} exited (${code ?? signal})`));
      this.#waiting.clear();
    });
  }

  call<T>(type: string, fields: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`${this.name}: ${type} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ ...fields, id, type });
    });
  }

  /** Stops the child: politely, then by force. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    try {
      await this.call("stop", {}, 5_000);
    } catch {
      // it may exit before it answers
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

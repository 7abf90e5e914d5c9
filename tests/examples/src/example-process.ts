import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";

/** The repository's root. */
export const repo = resolve(import.meta.dirname, "../../..");

/** An example's folder, by name: `examples/<name>`. */
export const exampleDir = (name: string): string => resolve(repo, "examples", name);

export interface ExampleProcess {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Whether it has exited, and how. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /**
   * SIGTERM to its process group (npm and the server it started), as Ctrl-C would; waits for every
   * process of the group to exit, and SIGKILLs what is left after `graceMs`.
   */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** The port to serve on (the example reads `PORT`). Default: a free one. */
  port?: number;
  /** The npm script. Default `"start"`. */
  script?: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** A path that answers 200 once the example is up. Default `"/"`. */
  readyPath?: string;
  /** For a process with no HTTP server: it is up once its output matches this (instead of `readyPath`). */
  readyOutput?: RegExp;
  /** How long to wait for it. Default 60 s. */
  readyTimeoutMs?: number;
}

const running = new Set<ExampleProcess>();

/**
 * Starts an example as a user would: `npm start` in its folder with `PORT` set, in its own process
 * group (so stopping it stops npm's child too), and resolves once `readyPath` answers 200.
 */
export async function startExample(name: string, options: StartOptions = {}): Promise<ExampleProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn("npm", ["run", "--silent", options.script ?? "start"], {
    cwd: exampleDir(name),
    env: { ...process.env, ...options.env, PORT: String(port), NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  let exit: ExampleProcess["exit"];
  const exited = new Promise<void>((resolveExit) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolveExit();
    }),
  );

  const example: ExampleProcess = {
    port,
    origin: `http://127.0.0.1:${port}`,
    output: () => output,
    get exit() {
      return exit;
    },
    async stop(graceMs = 10_000) {
      running.delete(example);
      // The whole group, not only npm: `next start`'s next-server outlives npm's exit and ignores
      // SIGTERM there, so it is killed once the grace is over.
      signalGroup(child, "SIGTERM");
      const deadline = Date.now() + graceMs;
      while (groupAlive(child) && Date.now() < deadline) await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      signalGroup(child, "SIGKILL");
      await exited;
    },
  };
  running.add(example);

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exit) throw new Error(`example ${name} exited (${exit.code ?? exit.signal}) before it was ready:\n${output}`);
    const status = options.readyOutput
      ? options.readyOutput.test(output) ? 200 : 0
      : await fetch(`${example.origin}${options.readyPath ?? "/"}`).then(
          (response) => (void response.body?.cancel(), response.status),
          () => 0,
        );
    if (status === 200) return example;
    if (Date.now() > deadline) {
      await example.stop();
      throw new Error(`example ${name} was not ready (${options.readyOutput ?? `200 on ${options.readyPath ?? "/"}`}) in time:\n${output}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** Stops every example still running (for `afterAll`, after a failed test). */
export async function stopAllExamples(): Promise<void> {
  await Promise.all([...running].map((example) => example.stop()));
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Whether any process of the child's group is still running. */
function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

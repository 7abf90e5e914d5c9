import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";

/** A README's server, started the way the README says, in a project outside the repository. */
export interface ServedSetup {
  readonly port: number;
  output(): string;
  /** SIGTERM, as a platform stops a server; resolves to how it exited, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `command` in `cwd` (its own process group) and resolves once `port` accepts connections. */
export async function serveSetup(cwd: string, command: string, args: string[], port: number, env: Record<string, string> = {}): Promise<ServedSetup> {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve((exit = { code, signal }))),
  );
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  const served: ServedSetup = {
    port,
    output: () => output,
    async stop(graceMs = 10_000) {
      if (exit) return exit;
      signal("SIGTERM");
      const killer = setTimeout(() => signal("SIGKILL"), graceMs);
      const how = await exited;
      clearTimeout(killer);
      return how;
    },
  };
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    if (exit) throw new Error(`${command} ${args.join(" ")} exited (${exit.code ?? exit.signal}) before serving:\n${output}`);
    if (Date.now() > deadline) {
      await served.stop(0);
      throw new Error(`${command} ${args.join(" ")} did not listen on ${port} in 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return served;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

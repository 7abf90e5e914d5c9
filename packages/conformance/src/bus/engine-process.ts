import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OwnEngine } from "./options.js";

/** A TCP port nothing listens on right now. */
export async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

/** Engines still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface EngineCommand {
  /** What errors call it (`"redis-server"`). */
  name: string;
  /** The executable. */
  command: string;
  /** Its address on 127.0.0.1:`port`, as a bus's options take it (`redis://127.0.0.1:6390`). */
  address(port: number): string;
  /** Its arguments, to listen on 127.0.0.1:`port` and keep its data in `dir`. */
  args(port: number, dir: string): string[];
  /** Resolves once the engine at `address` serves (its data loaded); called once the port is open, it throws while not yet. */
  ready(address: string): Promise<void>;
  /**
   * The signal {@link EngineProcess.down} stops it with, after which it still has every write it
   * acknowledged (SIGKILL for redis-server with an fsync-always AOF; SIGTERM for nats-server, which
   * then flushes JetStream's file store). Default SIGKILL.
   */
  downSignal?: "SIGKILL" | "SIGTERM";
}

/**
 * An engine server (redis-server, nats-server) of the test's own, on a spare port with its data in a
 * temp dir, which the test may kill, freeze and restart. The shared engine is never touched.
 */
export class EngineProcess implements OwnEngine {
  readonly port: number;
  /** See {@link EngineCommand.address}. */
  readonly address: string;
  readonly dir: string;
  readonly #command: EngineCommand;
  #child: ChildProcess | undefined;

  private constructor(command: EngineCommand, port: number) {
    this.#command = command;
    this.port = port;
    this.address = command.address(port);
    this.dir = mkdtempSync(join(tmpdir(), `eventwire-${command.name}-`));
  }

  static async start(command: EngineCommand): Promise<EngineProcess> {
    const engine = new EngineProcess(command, await sparePort());
    try {
      await engine.restart();
    } catch (error) {
      await engine.stop();
      throw error;
    }
    return engine;
  }

  /** Starts the server (again) on the same port and data dir; resolves once it serves. */
  async restart(timeoutMs = 15_000): Promise<void> {
    const { name, command, args, ready } = this.#command;
    const child = spawn(command, args(this.port, this.dir), { stdio: "ignore" });
    this.#child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} on port ${this.port} exited with ${child.exitCode} as it started`);
      if (await portOpen(this.port)) {
        try {
          return await ready(this.address);
        } catch {
          // listening, but not serving yet
        }
      }
      if (Date.now() > deadline) throw new Error(`${name} on port ${this.port} did not serve within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Stops the server and waits for it to be gone: at once with SIGKILL (a crash), or with SIGTERM. */
  async kill(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGCONT"); // a frozen server cannot act on SIGTERM
    child.kill(signal);
    await exited;
  }

  /** Takes the server down so that it keeps what it acknowledged (see {@link EngineCommand.downSignal}). */
  down(): Promise<void> {
    return this.kill(this.#command.downSignal ?? "SIGKILL");
  }

  /** Brings it back on the same port and data. */
  up(): Promise<void> {
    return this.restart();
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void {
    this.#child?.kill("SIGSTOP");
  }

  /** Thaws a paused server (SIGCONT). */
  resume(): void {
    this.#child?.kill("SIGCONT");
  }

  /** Kills the server and removes its data. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";

/** The shared NATS (with JetStream) the tests use (never stopped by them). */
export const NATS_SERVERS = process.env.EVENTWIRE_NATS_SERVERS ?? "127.0.0.1:4222";

/**
 * Whether the shared NATS answers with JetStream enabled. Without it and without CI, the suites
 * skip with a loud message; in CI they run (and fail), so a missing service is never a pass.
 */
export async function natsAvailable(): Promise<boolean> {
  try {
    const nc = await connect({ servers: NATS_SERVERS, timeout: 2_000, reconnect: false });
    try {
      await jetstreamManager(nc); // fails when JetStream is not enabled
      return true;
    } finally {
      await nc.close();
    }
  } catch {
    return false;
  }
}

export const natsUp = await natsAvailable();
export const runNatsTests = natsUp || Boolean(process.env.CI);
if (!natsUp) {
  const banner = "=".repeat(78);
  console.warn(
    `\n${banner}\n@eventwire/nats: NO NATS WITH JETSTREAM at ${NATS_SERVERS}. ${
      process.env.CI ? "CI is set, so the NATS tests run anyway and will fail." : "SKIPPING the NATS tests."
    }\nStart one with: nats-server -a 127.0.0.1 -p 4222 -js &\n${banner}\n`,
  );
}

/** A stream name no other test uses. */
export function uniqueStream(label = "bus"): string {
  return `eventwire_test_${label}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

/** A TCP port nothing listens on right now. */
export async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

function natsServerBinary(): string {
  for (const path of ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]) {
    if (existsSync(path)) return path;
  }
  return "nats-server";
}

/**
 * A nats-server (JetStream, file store in a temp dir) of the test's own, on a spare port, which
 * the test may kill and restart (the shared one is never touched).
 */
/** Servers still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export class OwnNatsServer {
  readonly port: number;
  readonly servers: string;
  readonly #dir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.servers = `127.0.0.1:${port}`;
    this.#dir = mkdtempSync(join(tmpdir(), "eventwire-nats-"));
  }

  static async start(): Promise<OwnNatsServer> {
    const server = new OwnNatsServer(await sparePort());
    await server.restart();
    return server;
  }

  /** Starts the server (again) on the same port and store dir; resolves when JetStream answers. */
  async restart(): Promise<void> {
    const child = spawn(natsServerBinary(), ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.#dir], {
      stdio: "ignore",
    });
    this.#child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      if (await portOpen(this.port)) {
        try {
          const nc = await connect({ servers: this.servers, reconnect: false, timeout: 1_000 });
          try {
            await jetstreamManager(nc);
            return;
          } finally {
            await nc.close();
          }
        } catch {
          // JetStream not ready yet
        }
      }
      if (Date.now() > deadline) throw new Error(`nats-server on port ${this.port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /**
   * Stops the server and waits for it to be gone: at once with SIGKILL (a crash), or with
   * SIGTERM (a restart: JetStream flushes its files first).
   */
  async kill(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/** The shared Redis the tests use (never stopped by them). */
export const REDIS_URL = process.env.EVENTWIRE_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Whether the shared Redis answers. Without it and without CI, the suites skip with a loud
 * message; in CI they run (and fail), so a missing service is never mistaken for a pass.
 */
export async function redisAvailable(): Promise<boolean> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export const redisUp = await redisAvailable();
export const runRedisTests = redisUp || Boolean(process.env.CI);
if (!redisUp) {
  const banner = "=".repeat(78);
  console.warn(
    `\n${banner}\n@eventwire/redis: NO REDIS at ${REDIS_URL}. ${
      process.env.CI ? "CI is set, so the Redis tests run anyway and will fail." : "SKIPPING the Redis tests."
    }\nStart one with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n${banner}\n`,
  );
}

/** A stream key no other test uses. */
export function uniqueStream(label = "bus"): string {
  return `eventwire-test:${label}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
}

/** A TCP port nothing listens on right now. */
export async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
      socket.connect(port, "127.0.0.1");
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * A redis-server of the test's own, on a spare port, which the test may kill and restart
 * (the shared one is never touched). `persistent` keeps an fsync-always AOF in a temp dir, so
 * a restart keeps every acknowledged entry.
 */
/** Servers still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export class OwnRedisServer {
  readonly port: number;
  readonly url: string;
  readonly #dir: string;
  readonly #persistent: boolean;
  #child: ChildProcess | undefined;

  private constructor(port: number, persistent: boolean) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#persistent = persistent;
    this.#dir = mkdtempSync(join(tmpdir(), "eventwire-redis-"));
  }

  static async start(options: { persistent?: boolean } = {}): Promise<OwnRedisServer> {
    const server = new OwnRedisServer(await sparePort(), options.persistent ?? false);
    await server.restart();
    return server;
  }

  /** Starts the server (again) on the same port and data dir. */
  async restart(): Promise<void> {
    const persistence = this.#persistent
      ? ["--appendonly", "yes", "--appendfsync", "always"]
      : ["--appendonly", "no"];
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--dir", this.#dir, ...persistence],
      { stdio: "ignore" },
    );
    this.#child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    await waitForPort(this.port);
    const client = new Redis(this.url, { lazyConnect: true });
    try {
      await client.connect(); // waits for "ready": the AOF is loaded
    } finally {
      client.disconnect();
    }
  }

  /** Kills the server at once (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void {
    this.#child?.kill("SIGSTOP");
  }

  /** Thaws a paused server (SIGCONT). */
  resume(): void {
    this.#child?.kill("SIGCONT");
  }

  async stop(): Promise<void> {
    this.resume();
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

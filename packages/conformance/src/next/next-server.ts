import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { nextBin } from "./build-next-app.js";

/** A Next.js server for a built (or, in dev, a source) app. */
export interface RunningNext {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  close(): Promise<void>;
}

/** A Next server in this process, so the app shares `globalThis` with the test. */
export interface InProcessNext extends RunningNext {
  server: http.Server;
}

/**
 * Starts an app in this process the way Next's custom-server docs do: `next({ dir, dev })`,
 * `prepare()`, and a node:http server on `port` (0: a free one) whose requests go to Next's
 * request handler.
 */
export async function startNextInProcess(dir: string, dev: boolean, port = 0): Promise<InProcessNext> {
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  // `next` is CommonJS whose module.exports is the function.
  const next = createRequire(import.meta.url)("next") as (options: Record<string, unknown>) => {
    prepare(): Promise<void>;
    getRequestHandler(): (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void>;
    close(): Promise<void>;
  };
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const listening = (server.address() as AddressInfo).port;
  const app = next({ dir, dev, hostname: "127.0.0.1", port: listening, httpServer: server, quiet: true });
  // Requests that come while Next prepares (clients retrying at a restarted server) wait for it.
  const prepared = app.prepare().then(() => app.getRequestHandler());
  server.on("request", (request, response) => void prepared.then((handle) => handle(request, response)));
  await prepared;
  return {
    server,
    origin: `http://127.0.0.1:${listening}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

/** `node` arguments that run `next start` on a built app, on a free port of 127.0.0.1. */
export function nextStartArgs(dir: string): string[] {
  return [nextBin(), "start", "-p", "0", "-H", "127.0.0.1", dir];
}

/** The environment `next start` runs in, over the test's: production, no telemetry, none of the test runner's Node options. */
export const nextStartEnv = { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", NODE_OPTIONS: "" } as const;

/**
 * Runs `next start` on a built app in its own process (group), as a deployment does; `env` is
 * added to the environment. Resolves once Next reports it is ready; `close` ends the process group.
 */
export async function startNextCli(dir: string, env: Record<string, string> = {}): Promise<RunningNext & { child: ChildProcess; output(): string }> {
  const child = spawn(process.execPath, nextStartArgs(dir), {
    env: { ...process.env, ...nextStartEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`next start did not report its URL:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (url && /Ready in/.test(output)) {
        clearTimeout(timer);
        resolve(url[0]);
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`next start exited with ${code}:\n${output}`));
    });
  }).catch((error: unknown) => {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    throw error;
  });
  return {
    child,
    origin,
    output: () => output,
    async close() {
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM"); // its process group: next start and anything it started
      const killer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

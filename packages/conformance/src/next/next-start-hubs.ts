import type { HubHost } from "../harness.js";
import { RuntimeProcess } from "../remote/runtime-process.js";
import { hostedHubVariable } from "../remote/host-next-hub.js";
import { nextStartArgs, nextStartEnv } from "./next-server.js";

export interface NextStartHubsOptions {
  /**
   * What a deployment does with a fresh process before it sends it traffic, given the events URL:
   * the readiness probe its adapter's README asks for (Next Pages: one request to the route, which
   * then claims WebSocket upgrades). Default: nothing, so each case's first request reaches a route
   * Next has not loaded yet.
   */
  ready?: (url: string) => Promise<void>;
}

/**
 * Hubs for the conformance suite (`runConformanceOnHost`), each in a `next start` process of its
 * own, of the app built in `dir`, whose `instrumentation.ts` calls `hostNextHub`. The server's
 * `close` is the process's own shutdown: SIGTERM to its process group, which must end it within
 * 5 s (it fails otherwise). `stop()` ends the processes still running (a case that failed to close).
 */
export function nextStartHubs(dir: string, options: NextStartHubsOptions = {}): HubHost & { stop(): Promise<void> } {
  const running = new Set<RuntimeProcess>();
  const boot = (): Promise<RuntimeProcess> => {
    let output = "";
    const started = RuntimeProcess.start({
      command: process.execPath,
      args: nextStartArgs(dir),
      env: { ...nextStartEnv, [hostedHubVariable]: "1" },
      stopSignal: "SIGTERM",
      output: (line) => void (output += `${line}\n`),
    }).then(
      (runtime) => (running.add(runtime), runtime),
      (error: Error) => Promise.reject(new Error(`${error.message}; next start said:\n${output}`)),
    );
    started.catch(() => undefined); // reported by the open that takes it
    return started;
  };
  const stop = (runtime: RuntimeProcess) => {
    running.delete(runtime);
    return runtime.stop();
  };
  // The next case's process starts while a case runs: what it saves is Node loading Next, not the
  // route, which each process loads on its first request.
  let spare: Promise<RuntimeProcess> | undefined;
  return {
    async open(hubOptions, logger) {
      const taken = spare ?? boot();
      spare = boot();
      const runtime = await taken;
      const { hub, url } = await runtime.open(hubOptions, logger);
      await options.ready?.(url);
      return { hub, url, close: () => stop(runtime) };
    },
    async stop() {
      await spare?.catch(() => undefined);
      spare = undefined;
      await Promise.all([...running].map(stop));
    },
  };
}

import type { Hub } from "@eventwire/core";
import { hostHubs } from "./hub-host.js";

/** Set in the environment of a `next start` process that is to host a hub (`nextStartHubs` sets it). */
export const hostedHubVariable = "EVENTWIRE_CONFORMANCE_HUB";

/**
 * The hub process's side of a conformance run under `next start` (`nextStartHubs` of
 * `@eventwire/conformance/next`), for a fixture app's `instrumentation.ts`, whose `register()` Next
 * runs once its server listens; does nothing unless {@link hostedHubVariable} is set. The process
 * hosts one hub: it puts it on `globalThis.__eventwireTestHub`, where the app's route reads it, and
 * gives `path` on the port Next listens on (Next puts it in `PORT`; it is started on 127.0.0.1) as
 * its URL. The hub's server is the process's own: stopping it stops the process, as a deployment
 * does, with SIGTERM.
 */
export function hostNextHub(path: string): void {
  if (!process.env[hostedHubVariable]) return;
  const fixture = globalThis as { __eventwireTestHub?: Hub };
  hostHubs(async (hub) => {
    if (fixture.__eventwireTestHub) throw new Error("this next start process hosts one hub, and has it already");
    fixture.__eventwireTestHub = hub;
    return { url: `http://127.0.0.1:${process.env.PORT}${path}`, close: async () => void process.kill(process.pid, "SIGTERM") };
  });
}

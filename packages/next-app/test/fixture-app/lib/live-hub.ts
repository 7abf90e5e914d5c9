import { createHub, type Hub } from "@eventwire/core";
import { globalHub } from "@eventwire/next-app";

/** How often the live route's module was evaluated and its hub made; the tests read these. */
export const counters = ((globalThis as { __eventwireLiveCounters?: { evaluated: number; created: number } }).__eventwireLiveCounters ??= { evaluated: 0, created: 0 });

/** The README's idiom: one hub per process, kept on globalThis across dev reloads. */
export function liveHub(): Hub {
  return globalHub("live", () => {
    counters.created++;
    return createHub({ authorize: true, logger: { warn() {}, error: console.error } });
  });
}

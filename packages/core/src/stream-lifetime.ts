/**
 * `maxStreamMs` (docs/protocol.md#runtimes-and-platforms): how long one stream may live before
 * the hub ends it so the client resumes elsewhere, as a serverless platform would end it anyway,
 * only earlier and cleanly. Each stream's lifetime is cut by up to a tenth, at random, so streams
 * opened together do not all end (and reconnect) together, and none outlives `maxStreamMs`.
 */
export const lifetimeJitter = 0.1;

/** The lifetime of one stream: between 90% of maxStreamMs and maxStreamMs. `random` returns [0, 1). */
export function streamLifetimeMs(maxStreamMs: number, random: () => number = Math.random): number {
  return maxStreamMs * (1 - lifetimeJitter * random());
}

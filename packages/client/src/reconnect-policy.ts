/**
 * How a stream retries: exponential backoff with full jitter (each delay uniform in
 * [0, min(maxDelayMs, base × 2^attempt))), so a fleet of clients does not reconnect in step after
 * a server restart. The attempt count resets once a connection has stayed open `healthyAfterMs`.
 */
export interface ReconnectOptions {
  /** The base delay, doubled per failed attempt. SSE uses the server's `retry:` instead when it sent one. Default 500. */
  initialDelayMs?: number;
  /** The largest delay between attempts. Default 20 000. */
  maxDelayMs?: number;
  /**
   * Failed attempts in a row before the stream gives up with status `"error"` (code
   * `retries_exhausted`). `0` never reconnects. Default `Infinity`.
   */
  maxRetries?: number;
  /** A connection open this long counts as healthy: the next drop starts the backoff over. Default 5 000. */
  healthyAfterMs?: number;
}

export type ReconnectPolicy = Required<ReconnectOptions>;

export const defaultReconnectPolicy: ReconnectPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 20_000,
  maxRetries: Infinity,
  healthyAfterMs: 5_000,
};

/** Fills defaults and rejects values that cannot work, with the option's name in the message. */
export function resolveReconnectPolicy(options: ReconnectOptions | false | undefined): ReconnectPolicy {
  if (options === false) return { ...defaultReconnectPolicy, maxRetries: 0 };
  const policy = { ...defaultReconnectPolicy };
  for (const key of Object.keys(defaultReconnectPolicy) as (keyof ReconnectPolicy)[]) {
    const value = options?.[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
      throw new TypeError(`reconnect.${key} must be a number >= 0, got ${String(value)}`);
    }
    policy[key] = value;
  }
  return policy;
}

/**
 * The wait before retry number `attempt` (0 for the first retry after a drop), in milliseconds.
 * `baseMs` is `initialDelayMs`, or the server's `retry:` on SSE; `random` returns [0, 1).
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<ReconnectPolicy, "maxDelayMs">,
  baseMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

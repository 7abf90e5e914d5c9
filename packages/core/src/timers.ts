/**
 * Timers that must not keep the process alive (the heartbeat, a closing handshake's deadline), on
 * every runtime (docs/protocol.md#runtimes-and-platforms): Node's and Bun's timers have `unref()`,
 * Deno's web timers are numbers that `Deno.unrefTimer` takes, others (Cloudflare Workers) have neither.
 */
type Timer = ReturnType<typeof setTimeout>;

interface DenoTimers {
  unrefTimer?(id: number): void;
}

/** Lets the process exit while `timer` is pending, where the runtime can; returns the timer. */
export function unrefTimer<T extends Timer | ReturnType<typeof setInterval>>(timer: T): T {
  const handle = timer as unknown as { unref?: () => void };
  if (typeof handle === "object" && handle !== null && typeof handle.unref === "function") handle.unref();
  else if (typeof timer === "number") (globalThis as { Deno?: DenoTimers }).Deno?.unrefTimer?.(timer);
  return timer;
}

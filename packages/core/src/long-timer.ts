import { unrefTimer } from "./timers.js";

/**
 * One-shot timers for long delays (a grant's `expiresAt` may be days away), on any runtime: a
 * pending one never keeps the process alive (see timers.ts), and delays past what `setTimeout`
 * takes (about 24.8 days) are re-armed.
 */
const maxDelayMs = 2 ** 31 - 1;

/** Runs `callback` once after `delayMs` (at once for a delay ≤ 0, on a later turn); returns its cancel. */
export function setTimer(callback: () => void, delayMs: number): () => void {
  const due = Date.now() + delayMs;
  let handle: ReturnType<typeof setTimeout>;
  const arm = (): void => {
    const left = due - Date.now();
    handle = unrefTimer(setTimeout(left > maxDelayMs ? arm : callback, Math.max(0, Math.min(left, maxDelayMs))));
  };
  arm();
  return () => clearTimeout(handle);
}

/** Memory the process holds for JavaScript: the heap and the backing stores of Buffers. */
export function heldBytes(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Collects garbage (the suite runs with `--expose-gc`) until the heap settles, then measures. */
export async function settledBytes(): Promise<number> {
  const gc = globalThis.gc;
  if (!gc) throw new Error("run with --expose-gc (tests/reliability/vitest.config.ts sets it)");
  let last = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 6; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const now = heldBytes();
    if (Math.abs(now - last) < 64 * 1024) return now;
    last = now;
  }
  return last;
}

/** Samples held memory every `everyMs` until stopped; `peak` is the largest sample over `base`. */
export function sampleMemory(everyMs = 20): { stop(): number; readonly peak: number } {
  let peak = heldBytes();
  const timer = setInterval(() => (peak = Math.max(peak, heldBytes())), everyMs);
  return {
    get peak() {
      return peak;
    },
    stop() {
      clearInterval(timer);
      return (peak = Math.max(peak, heldBytes()));
    },
  };
}

export const MiB = 1024 * 1024;

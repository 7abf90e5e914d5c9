/** How a set of moments (ms since `start`) is spread out: percentiles and the busiest window. */
export interface Spread {
  count: number;
  p10: number;
  p50: number;
  p90: number;
  max: number;
  /** Most moments inside any window of `windowMs`. */
  peak: number;
  windowMs: number;
}

export function spreadOf(times: readonly number[], start: number, windowMs = 100): Spread {
  const offsets = times.map((time) => time - start).sort((a, b) => a - b);
  const at = (q: number) => offsets[Math.min(offsets.length - 1, Math.floor(q * offsets.length))] ?? 0;
  let peak = 0;
  for (let from = 0, to = 0; to < offsets.length; to++) {
    while (offsets[to]! - offsets[from]! >= windowMs) from++;
    peak = Math.max(peak, to - from + 1);
  }
  return { count: offsets.length, p10: at(0.1), p50: at(0.5), p90: at(0.9), max: offsets.at(-1) ?? 0, peak, windowMs };
}

export function describeSpread(spread: Spread): string {
  return `${spread.count} arrivals: p10 ${spread.p10} ms, p50 ${spread.p50} ms, p90 ${spread.p90} ms, last ${spread.max} ms; busiest ${spread.windowMs} ms: ${spread.peak}`;
}

/**
 * A latency histogram in microseconds with bounded relative error (~3%): exact below 64 µs, then
 * 32 buckets per power of two. Recording is a few integer operations and no allocation.
 */
export class Histogram {
  static readonly subBits = 5;
  readonly counts = new Float64Array(64 * 32);
  total = 0;
  max = 0;

  record(us: number): void {
    const v = us < 0 ? 0 : us > 0xffffffff ? 0xffffffff : us >>> 0;
    this.counts[bucketOf(v)]!++;
    this.total++;
    if (v > this.max) this.max = v;
  }

  /** The value at quantile q (0..1), as the upper edge of its bucket, in µs. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdgeOf(i), this.max);
    }
    return this.max;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.max = Math.max(this.max, other.max);
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }
}

function bucketOf(v: number): number {
  if (v < 64) return v;
  const k = 31 - Math.clz32(v); // floor(log2 v), >= 6
  const sub = (v >>> (k - Histogram.subBits)) & 31;
  return 64 + (k - 6) * 32 + sub;
}

function upperEdgeOf(index: number): number {
  if (index < 64) return index;
  const k = Math.floor((index - 64) / 32) + 6;
  const sub = (index - 64) % 32;
  return (32 + sub + 1) * 2 ** (k - Histogram.subBits) - 1;
}

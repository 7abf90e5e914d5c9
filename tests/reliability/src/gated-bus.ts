import { memoryBus, type Bus, type BusContext, type BusReadResult, type BusRecord } from "@eventwire/core";

/**
 * The in-memory bus with a gate on `read`: while the gate is shut, history reads wait. It plays a
 * resume that stalls between two pages (a slow reader, a slow Redis) while the history moves on.
 */
export class GatedBus implements Bus {
  readonly inner = memoryBus();
  reads = 0;
  #shut: Promise<void> | undefined;
  #open: (() => void) | undefined;
  /** Shuts the gate before the read numbered `from` (1-based) and every later one. */
  #from = Number.POSITIVE_INFINITY;

  /** Reads from the `n`th on wait until {@link release}. */
  shutFrom(n: number): void {
    this.#from = n;
    this.#shut = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#from = Number.POSITIVE_INFINITY;
    this.#open?.();
  }

  /** How many reads are waiting at the gate. */
  waiting = 0;

  open(context: BusContext): Promise<void> {
    return this.inner.open(context);
  }

  publish(record: BusRecord): Promise<string> {
    return this.inner.publish(record);
  }

  async read(afterId: string | undefined, limit: number): Promise<BusReadResult> {
    if (++this.reads >= this.#from && this.#shut) {
      this.waiting++;
      await this.#shut;
      this.waiting--;
    }
    return this.inner.read(afterId, limit);
  }

  cursor(): Promise<string> {
    return this.inner.cursor();
  }

  compareIds(a: string, b: string): number {
    return this.inner.compareIds(a, b);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

import type { Bus, BusContext, BusEvent, BusReadResult, BusRecord } from "@eventwire/core";

/**
 * One history shared by several hubs in this process, as Redis or NATS share it between processes:
 * every hub on it receives every event, and any hub resumes an id another issued. It lets a test
 * play a rolling restart (one process shutting down while another serves) without a server.
 */
export class SharedHistory {
  readonly run = `shared${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
  readonly events: BusEvent[] = [];
  readonly #views = new Set<SharedBusView>();
  #seq = 0;
  #firstSeq = 1;

  constructor(private readonly maxEvents = 100_000) {}

  /** A bus for one hub. */
  bus(): Bus {
    return new SharedBusView(this);
  }

  /** @internal */
  attach(view: SharedBusView): void {
    this.#views.add(view);
  }

  /** @internal */
  detach(view: SharedBusView): void {
    this.#views.delete(view);
  }

  /** @internal */
  append(record: BusRecord): string {
    const event: BusEvent = { ...record, id: `${this.run}-${++this.#seq}` };
    this.events.push(event);
    if (this.events.length > this.maxEvents) {
      this.events.shift();
      this.#firstSeq++;
    }
    for (const view of this.#views) view.context?.onEvent(event);
    return event.id;
  }

  /** @internal */
  read(afterId: string | undefined, limit: number): BusReadResult {
    if (afterId === undefined) return { events: this.events.slice(0, limit) };
    const seq = this.seqOf(afterId);
    if (seq === undefined || seq > this.#seq) return { events: this.events.slice(0, limit), gap: "unknown" };
    if (seq < this.#firstSeq - 1) return { events: this.events.slice(0, limit), gap: "expired" };
    const from = seq - this.#firstSeq + 1;
    return { events: this.events.slice(from, from + limit) };
  }

  /** @internal */
  cursor(): string {
    return `${this.run}-${this.#seq}`;
  }

  seqOf(id: string): number | undefined {
    const dash = id.lastIndexOf("-");
    if (id.slice(0, dash) !== this.run) return undefined;
    const seq = Number(id.slice(dash + 1));
    return Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined;
  }
}

class SharedBusView implements Bus {
  context: BusContext | undefined;

  constructor(private readonly history: SharedHistory) {}

  async open(context: BusContext): Promise<void> {
    this.context = context;
    this.history.attach(this);
  }

  async publish(record: BusRecord): Promise<string> {
    return this.history.append(record);
  }

  async read(afterId: string | undefined, limit: number): Promise<BusReadResult> {
    return this.history.read(afterId, limit);
  }

  async cursor(): Promise<string> {
    return this.history.cursor();
  }

  compareIds(a: string, b: string): number {
    return (this.history.seqOf(a) ?? 0) - (this.history.seqOf(b) ?? 0);
  }

  async close(): Promise<void> {
    this.history.detach(this);
    this.context = undefined;
  }
}

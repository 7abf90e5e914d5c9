import { MemoryBus, type Bus, type BusContext, type BusReadResult, type BusRecord } from "@eventwire/core";

/**
 * One history shared by several hubs in this process, as Redis or NATS share it between processes:
 * every hub on it receives every event, and any hub resumes an id another issued. It lets a test
 * play a rolling restart (one process shutting down while another serves) without a service. The
 * history is core's own MemoryBus, so ids, gaps and their order are exactly the memory bus's.
 */
export class SharedHistory {
  readonly #memory = new MemoryBus();
  readonly #views = new Set<SharedBusView>();
  readonly #opened: Promise<void>;

  constructor(maxEvents = 100_000) {
    this.#opened = this.#memory.open({
      history: { maxEvents, maxAgeMs: 3_600_000 },
      onEvent: (event) => this.#views.forEach((view) => view.context?.onEvent(event)),
      onError: (error) => this.#views.forEach((view) => view.context?.onError(error)),
    });
  }

  /** The run every id of this history starts with (`<run>-<seq>`). */
  get run(): string {
    return this.#memory.run;
  }

  /** A bus for one hub. */
  bus(): Bus {
    return new SharedBusView(this.#memory, this.#opened, this.#views);
  }
}

class SharedBusView implements Bus {
  context: BusContext | undefined;

  constructor(
    private readonly memory: MemoryBus,
    private readonly opened: Promise<void>,
    private readonly views: Set<SharedBusView>,
  ) {}

  async open(context: BusContext): Promise<void> {
    await this.opened;
    this.context = context;
    this.views.add(this);
  }

  publish(record: BusRecord): Promise<string> {
    return this.memory.publish(record);
  }

  read(afterId: string | undefined, limit: number): Promise<BusReadResult> {
    return this.memory.read(afterId, limit);
  }

  cursor(): Promise<string> {
    return this.memory.cursor();
  }

  compareIds(a: string, b: string): number {
    return this.memory.compareIds(a, b);
  }

  async close(): Promise<void> {
    this.views.delete(this);
    this.context = undefined;
  }
}

import type { Bus, BusContext, BusEvent, BusReadResult, BusRecord, HistoryLimits } from "./bus.js";

interface StoredEvent extends BusEvent {
  readonly seq: number;
  readonly publishedAt: number;
}

/**
 * The embedded default bus: one process, history in memory. Ids are `<run>-<seq>`: `run` is the
 * start time in base 36 plus a random suffix, so ids never repeat across restarts, and an id from
 * an earlier run is recognised as such (and resumed with a `gap` of reason "reset"). `<run>-0` is
 * the cursor of a bus that has issued nothing yet.
 */
export class MemoryBus implements Bus {
  readonly run: string;
  #context: BusContext | undefined;
  #history: HistoryLimits = { maxEvents: 10_000, maxAgeMs: 300_000 };
  #events: StoredEvent[] = [];
  #start = 0; // index of the oldest retained event in #events
  #lastSeq = 0;
  #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    const random = Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, "0");
    this.run = this.#now().toString(36).padStart(9, "0") + random;
  }

  async open(context: BusContext): Promise<void> {
    this.#context = context;
    this.#history = context.history;
  }

  publish(record: BusRecord): Promise<string> {
    const context = this.#context;
    if (!context) return Promise.reject(new Error("MemoryBus: publish before open"));
    const seq = ++this.#lastSeq;
    const event: StoredEvent = {
      id: `${this.run}-${seq}`,
      name: record.name,
      session: record.session,
      json: record.json,
      seq,
      publishedAt: this.#now(),
    };
    this.#events.push(event);
    this.#trim();
    context.onEvent(event);
    return Promise.resolve(event.id);
  }

  publishControl(message: string): Promise<void> {
    const context = this.#context;
    if (!context) return Promise.reject(new Error("MemoryBus: publishControl before open"));
    context.onControl?.(message);
    return Promise.resolve();
  }

  async read(afterId: string | undefined, limit: number): Promise<BusReadResult> {
    this.#trim();
    const retained = this.#events.length - this.#start;
    const firstSeq = this.#lastSeq - retained + 1;
    const gap = afterId === undefined ? undefined : this.#gapOf(afterId, firstSeq);
    // From the oldest retained, or right after `afterId`.
    const from = afterId === undefined || gap !== undefined ? 0 : splitId(afterId)[1] - firstSeq + 1;
    const begin = this.#start + from;
    const events = this.#events.slice(begin, begin + limit);
    return gap === undefined ? { events } : { events, gap };
  }

  async cursor(): Promise<string> {
    return `${this.run}-${this.#lastSeq}`;
  }

  compareIds(a: string, b: string): number {
    const [runA, seqA] = splitId(a);
    const [runB, seqB] = splitId(b);
    if (runA !== runB) return runA < runB ? -1 : 1;
    return seqA - seqB;
  }

  async close(): Promise<void> {
    this.#context = undefined;
  }

  /** Why `id` cannot be resumed exactly, or undefined when it can (docs/protocol.md#resume). */
  #gapOf(id: string, firstSeq: number): BusReadResult["gap"] {
    const [run, seq] = splitId(id);
    if (!Number.isSafeInteger(seq)) return "unknown";
    if (run !== this.run) return runLike(run) ? "reset" : "unknown";
    if (seq > this.#lastSeq) return "unknown";
    return seq < firstSeq - 1 ? "expired" : undefined;
  }

  #trim(): void {
    const { maxEvents, maxAgeMs } = this.#history;
    const oldestAllowed = this.#now() - maxAgeMs;
    const events = this.#events;
    let start = Math.max(this.#start, events.length - maxEvents);
    while (start < events.length && events[start]!.publishedAt < oldestAllowed) start++;
    this.#start = start;
    if (start > 1024 && start * 2 > events.length) {
      this.#events = events.slice(start);
      this.#start = 0;
    }
  }
}

/** Whether `run` has the form of a run (start time and random suffix, base 36): an id of an earlier run. */
function runLike(run: string): boolean {
  return /^[0-9a-z]{12,}$/.test(run);
}

function splitId(id: string): [run: string, seq: number] {
  const dash = id.lastIndexOf("-");
  if (dash <= 0) return ["", Number.NaN];
  const digits = id.slice(dash + 1);
  return [id.slice(0, dash), /^[0-9]{1,15}$/.test(digits) ? Number(digits) : Number.NaN];
}

/** The in-memory bus: the default, for one process. */
export function memoryBus(options: { now?: () => number } = {}): Bus {
  return new MemoryBus(options);
}

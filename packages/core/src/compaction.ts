import type { BusEvent } from "./bus/bus.js";
import { Frame } from "./frame.js";
import type { Logger } from "./options.js";
import { encodePublished } from "./publish-validation.js";

/** One event of a run as a merge function receives it: the object as published, with its `id`. */
export interface ReplayedEvent {
  event: string;
  id: string;
  [field: string]: unknown;
}

/** What a merge function returns: one event (its `id` is set by the hub). */
export interface MergedEvent {
  event: string;
  [field: string]: unknown;
}

/**
 * Merges a run of replayed events into one (docs/protocol.md#resume, "Replay compaction"). Declared
 * as a method, so a merge function may type its run as the events it compacts
 * (`(run: (WordEvent & { id: string })[]) => ...`).
 */
export type MergeFunction = { merge(run: ReplayedEvent[]): MergedEvent }["merge"];

/**
 * Replay compaction, by event name: `{ "bot.word": (words) => ({ ...words.at(-1)!, word: words.map((w) => w.word).join(" ") }) }`.
 * During a replay only, never live (docs/protocol.md#resume, "Replay compaction").
 */
export type CompactOptions = Readonly<Record<string, MergeFunction>>;

/**
 * Turns a run of replayed events into what is sent for it: one merged event carrying the id of the
 * run's last event, or, when the merge function fails or returns something that cannot be sent,
 * the run's events as they are (nothing is lost either way).
 */
export class ReplayCompactor {
  readonly #merges: ReadonlyMap<string, MergeFunction>;

  constructor(
    compact: CompactOptions,
    private readonly sessionKey: string,
    private readonly logger: Logger,
  ) {
    this.#merges = new Map(Object.entries(compact));
  }

  /** Whether events of this name are compacted during a replay. */
  compacts(name: string): boolean {
    return this.#merges.has(name);
  }

  /** The frames a run (consecutive events of one compacted name and session, oldest first) is sent as. */
  frames(run: readonly BusEvent[]): Frame[] {
    const last = run.at(-1)!;
    const merge = this.#merges.get(last.name);
    if (run.length < 2 || merge === undefined) return run.map((event) => new Frame(event));
    try {
      const merged = merge(run.map((event) => ({ ...(JSON.parse(event.json) as MergedEvent), id: event.id })));
      const record = encodePublished(withoutId(merged), this.sessionKey);
      return [new Frame({ ...record, id: last.id })];
    } catch (error) {
      try {
        this.logger.error(`[eventwire] compact["${last.name}"] failed; the run of ${run.length} is replayed as it was published`, error);
      } catch {
        // A logger that throws changes nothing: the run is sent as published.
      }
      return run.map((event) => new Frame(event));
    }
  }
}

/** The merged event without an `id` of its own: the hub gives it the run's last id. */
function withoutId(merged: unknown): unknown {
  if (typeof merged !== "object" || merged === null || !Object.hasOwn(merged, "id")) return merged;
  const { id: _id, ...rest } = merged as Record<string, unknown>;
  return rest;
}

/** Checks `createHub({ compact })`: an object of functions by event name. */
export function checkCompact(compact: unknown): CompactOptions {
  if (compact === undefined) return {};
  if (typeof compact !== "object" || compact === null || Array.isArray(compact)) {
    throw new TypeError("createHub: compact must be an object of merge functions by event name, e.g. { \"bot.word\": (run) => merged }");
  }
  for (const [name, merge] of Object.entries(compact)) {
    if (typeof merge !== "function") throw new TypeError(`createHub: compact["${name}"] must be a function (run) => merged event, got ${typeof merge}`);
  }
  return compact as CompactOptions;
}

import type { MergedEvent, MergeFunction, ReplayedEvent } from "@eventwire/core";

/**
 * The merge functions the compaction cases use (docs/protocol.md#resume, "Replay compaction"), by
 * name. A function cannot cross into a hub of another runtime's process: such a hub is sent the
 * name and applies its own copy of the function, so the cases run there too.
 */
export const namedMerges: Readonly<Record<string, MergeFunction>> = {
  /** Joins a run of `bot.word` events into one: the words joined by spaces, and how many there were. */
  "join-words": (run: ReplayedEvent[]): MergedEvent => ({ ...run.at(-1)!, word: run.map((event) => String(event.word)).join(" "), words: run.length }),
};

/** The name of a merge function of {@link namedMerges}, or undefined for any other value. */
export function mergeName(merge: unknown): string | undefined {
  return Object.entries(namedMerges).find(([, known]) => known === merge)?.[0];
}

import type { MergedEvent } from "@eventwire/core";

/** One `bot.word` as the agent publishes it, with the id the hub gave it. */
type PublishedWord = {
  event: string;
  id: string;
  callId: string;
  orgId: string;
  word: string;
  index: number;
  turn: number;
};

/**
 * Replay compaction for the agent's words (docs/protocol.md#resume, "Replay compaction"): a run of
 * one call's consecutive `bot.word` events, replayed to a page that is catching up, is sent as one
 * `bot.word` whose `words` are the run's words in order, from `index` in `turn` on (`word` is the
 * first of them, the word at `index`, as on any `bot.word`), with the call's `callId` and `orgId`
 * as on every event of the call. The page draws each of them.
 *
 * A run that is not one stretch of one turn (two replies back to back, or a hole in the indexes)
 * cannot be told as a start and a list: the merge declines by throwing, and the hub sends that run
 * as it was published. The demo agent never speaks so: a caller's line comes between two replies.
 */
export function mergeWords(run: PublishedWord[]): MergedEvent {
  const first = run[0]!;
  const last = run.at(-1)!;
  if (last.turn !== first.turn || last.index - first.index !== run.length - 1) {
    throw new Error(`call ${first.callId}: a run from turn ${first.turn} #${first.index} to turn ${last.turn} #${last.index} is not one stretch of one turn`);
  }
  return { event: "bot.word", callId: first.callId, orgId: first.orgId, turn: first.turn, index: first.index, word: first.word, words: run.map((word) => word.word) };
}

import type { GapReason } from "@eventwire/client";

/**
 * What the page says when its stream resumes with a `gap` (docs/protocol.md#resume): the view is
 * rebuilt from the events that follow, and the notice tells the user why it had to be.
 */
const gapNotices: Record<GapReason, string> = {
  reset: "The server restarted (or its history was reset), so it no longer had the events after your last one: the view was rebuilt from what it retains.",
  expired: "You were disconnected for longer than the server keeps events: the view was rebuilt from what it still retains.",
  overrun: "The catch-up fell behind the server's history while it was still replaying: the view was rebuilt from what the server retains now.",
  unknown: "The server did not recognise the last event this page had: the view was rebuilt from what it retains.",
};

/** The notice for a `gap` of `reason` (a reason this page does not know reads as `unknown`). */
export function gapNotice(reason: string): string {
  return gapNotices[reason as GapReason] ?? gapNotices.unknown;
}

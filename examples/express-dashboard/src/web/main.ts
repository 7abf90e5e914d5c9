import { createEventStream, type AnyEvent, type EventStream, type StreamStatus } from "@eventwire/client";
import type { AgentEvents } from "./agent-events.js";
import { CallBoard, isCallEvent } from "./call-board.js";
import { EventFeed } from "./event-feed.js";
import { MetricsPanel } from "./metrics-panel.js";
import { gapNotice } from "./gap-notice.js";

/**
 * The live call monitor: one Eventwire stream, over WebSocket or SSE, folded into call cards.
 *
 * - A fresh view catches up on what the hub retains: it opens with `from: "earliest"`, every
 *   retained event of the view, oldest first, then live (docs/protocol.md#resume), so a call in
 *   progress shows from its start.
 * - Switching transport, or narrowing to one call, resumes from the last event received: the
 *   new stream starts right after it, so no word is lost or shown twice.
 * - A `gap` after a reconnect (the server restarted, or we were away longer than it keeps events)
 *   rebuilds the view from what the hub retains, and says why.
 */

type Transport = "websocket" | "sse";
interface View {
  transport: Transport;
  /** One call's session (`session=` on the stream), or every call. */
  session?: string;
}

const include = ["llm.tool_result"] as const;

const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector<T>(selector)!;

const board = new CallBoard($("#calls"), { maxCards: 6, onSelect: (callId) => watchOnly(callId) });
const feed = new EventFeed($("#feed"));
new MetricsPanel($("#hub-metrics"));

let stream: EventStream<AgentEvents> | undefined;
let view: View = viewFromLocation();
let received = 0;
let gaps = 0;

function open(next: View, resumeAfter: string | undefined): void {
  stream?.close();
  view = next;
  feed.clear(); // the feed shows what this stream delivers
  if (resumeAfter === undefined) {
    board.clear();
    received = 0;
  }
  const opened = createEventStream<AgentEvents>({
    url: "/events",
    transport: view.transport,
    session: view.session,
    include: [...include],
    // A new view starts with the calls so far; a changed one right after the last event it had.
    ...(resumeAfter === undefined ? { from: "earliest" as const } : { lastEventId: resumeAfter }),
    reconnect: { initialDelayMs: 250, maxDelayMs: 3_000 },
  });
  stream = opened;
  opened.onStatus((status) => {
    if (opened === stream) renderStatus(status, opened.error?.message);
  });
  opened.on("*", (event) => {
    if (opened === stream) handle(event);
  });
  board.focus(view.session);
  renderView();
  scheduleCounters();
}

function handle(event: AnyEvent<AgentEvents>): void {
  switch (event.event) {
    case "gap":
      board.clear();
      feed.clear();
      received = 0;
      gaps++;
      document.body.dataset.gapReason = event.reason;
      notify(gapNotice(event.reason));
      break;
    case "pong":
    case "ack":
      break;
    case "error":
      console.warn("eventwire:", event.code, event.message);
      break;
    default:
      received++;
      feed.add(event);
      if (isCallEvent(event)) board.apply(event);
  }
  scheduleCounters();
}

/** Narrows the view to one call: a stream scoped with `session=`, resuming after the last event. */
function watchOnly(callId: string): void {
  if (view.session === callId) return;
  open({ ...view, session: callId }, stream?.lastEventId);
}

function watchAll(): void {
  if (view.session === undefined) return;
  open({ transport: view.transport }, undefined);
}

function switchTransport(transport: Transport): void {
  if (view.transport === transport) return;
  open({ ...view, transport }, stream?.lastEventId);
}

// ---------------------------------------------------------------------------------------------
// Rendering the chrome: status badge, transport switch, scope banner, counters, notices

const statusLabels: Record<StreamStatus, string> = {
  idle: "connecting",
  connecting: "connecting",
  connected: "connected",
  reconnecting: "reconnecting",
  error: "error",
  closed: "closed",
};

function renderStatus(status: StreamStatus, error: string | undefined): void {
  const badge = $("#status");
  badge.dataset.status = statusLabels[status];
  badge.querySelector(".label")!.textContent = statusLabels[status];
  badge.title = error ?? "";
}

function renderView(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>("#transport button")) {
    button.setAttribute("aria-pressed", String(button.dataset.transport === view.transport));
  }
  const query = new URLSearchParams();
  if (view.session) query.set("session", view.session);
  query.set("include", include.join(","));
  $("#stream-transport").textContent = view.transport === "websocket" ? "WebSocket" : "SSE";
  $("#stream-url").textContent = `/events?${decodeURIComponent(String(query))}`;

  const scope = $("#scope");
  scope.hidden = view.session === undefined;
  scope.querySelector(".session")!.textContent = view.session ?? "";
  $("#calls-title").textContent = view.session === undefined ? "Calls" : "Call";

  const params = new URLSearchParams();
  if (view.transport !== "websocket") params.set("transport", view.transport);
  if (view.session) params.set("session", view.session);
  history.replaceState(null, "", params.size > 0 ? `?${params}` : location.pathname);
}

let countersScheduled = false;
function scheduleCounters(): void {
  if (countersScheduled) return;
  countersScheduled = true;
  requestAnimationFrame(() => {
    countersScheduled = false;
    $("#live-count").textContent = String(board.liveCount);
    $("#live-label").textContent = board.liveCount === 1 ? "call live" : "calls live";
    $("#ended-count").textContent = String(board.endedCount);
    $("#ended-label").textContent = board.endedCount === 1 ? "call ended" : "calls ended";
    $("#event-count").textContent = received.toLocaleString("en-US");
    $("#event-label").textContent = received === 1 ? "event received" : "events received";
    document.body.dataset.gaps = String(gaps);
  });
}

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function notify(message: string): void {
  const notice = $("#notice");
  notice.querySelector(".message")!.textContent = message;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (notice.hidden = true), 10_000);
}

function viewFromLocation(): View {
  const params = new URLSearchParams(location.search);
  return { transport: params.get("transport") === "sse" ? "sse" : "websocket", session: params.get("session") || undefined };
}

for (const button of document.querySelectorAll<HTMLButtonElement>("#transport button")) {
  button.addEventListener("click", () => switchTransport(button.dataset.transport as Transport));
}
$("#scope button").addEventListener("click", watchAll);
$("#notice button").addEventListener("click", () => ($("#notice").hidden = true));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") watchAll();
});

open(view, undefined);

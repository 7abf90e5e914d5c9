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
 * - Who is signed in (a cookie, see src/sign-in.ts) decides what the stream carries: a customer's
 *   calls only, or every call for the operator. Signing in as another account starts the view
 *   over on a new stream; the server ends the previous sign-in's streams (`hub.revoke`), so another
 *   tab still showing them is refused, or reconnects as the new account, and follows it.
 */

type Transport = "websocket" | "sse";
/** Who is signed in, as `GET /account` says. */
interface Account {
  account: string;
  label: string;
}
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
let account: Account | undefined;
/** Bumped by every sign-in and sign-out here, so an answer to an older `GET /account` is dropped. */
let accountChanges = 0;
let received = 0;
let gaps = 0;

function open(next: View, resumeAfter: string | undefined): void {
  stream?.close();
  view = next;
  if (!account) {
    // Signed out: no stream until someone signs in.
    renderView();
    scheduleCounters();
    return;
  }
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
  let dropped = false;
  opened.onStatus((status) => {
    if (opened !== stream) return;
    renderStatus(status, opened.error?.message);
    // Refused (signed out, or this sign-in revoked), or connected again after a drop (an SSE
    // stream reconnects with whatever cookie the browser has now): which account is it now?
    if (status === "error" || (status === "connected" && dropped)) void followAccount(status === "error");
    dropped ||= status === "reconnecting";
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

async function currentAccount(): Promise<Account | undefined> {
  const response = await fetch("/account");
  return response.ok ? ((await response.json()) as Account) : undefined;
}

/** Signs in as `name` (POST /login) and starts the view over on that account's stream. */
async function signInAs(name: string): Promise<void> {
  if (account?.account === name) return;
  accountChanges++;
  stop();
  const response = await fetch("/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ account: name }) });
  if (!response.ok) throw new Error(`cannot sign in as ${name}: ${response.status}`);
  show((await response.json()) as Account, { transport: view.transport });
}

async function signOut(): Promise<void> {
  accountChanges++;
  stop();
  await fetch("/logout", { method: "POST" });
  show(undefined, view);
}

/**
 * Follows the account the browser is signed in as now (another tab may have changed it). A
 * revocation can close this stream a moment before the browser has stored the new sign-in's
 * cookie, so a refused stream asks a few times.
 */
async function followAccount(refused: boolean): Promise<void> {
  const asked = accountChanges;
  for (let attempt = 0; ; attempt++) {
    const now = await currentAccount();
    if (asked !== accountChanges) return;
    if (now?.account !== account?.account) {
      stop();
      return show(now, { transport: view.transport });
    }
    if (!refused || attempt === 8) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function stop(): void {
  stream?.close();
  stream = undefined;
}

/** Shows `signedIn`'s calls on a fresh stream of `next`, or, signed out, the sign-in prompt. */
function show(signedIn: Account | undefined, next: View): void {
  account = signedIn;
  for (const button of document.querySelectorAll<HTMLButtonElement>("#account button")) {
    button.setAttribute("aria-pressed", String(button.dataset.account === signedIn?.account));
  }
  $("#sign-out").hidden = !signedIn;
  $("#signed-out").hidden = !!signedIn;
  $("#calls").hidden = !signedIn;
  $("#signed-in-as").textContent = signedIn ? `Signed in as ${signedIn.label}.` : "";
  board.clear();
  feed.clear();
  received = 0;
  if (!signedIn) {
    const badge = $("#status");
    badge.dataset.status = "signed-out";
    badge.querySelector(".label")!.textContent = "signed out";
  }
  open(next, undefined);
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
for (const button of document.querySelectorAll<HTMLButtonElement>("#account button")) {
  button.addEventListener("click", () => void signInAs(button.dataset.account!));
}
$("#sign-out").addEventListener("click", () => void signOut());
$("#notice button").addEventListener("click", () => ($("#notice").hidden = true));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") watchAll();
});

const asked = accountChanges;
const signedIn = await currentAccount();
if (asked === accountChanges) show(signedIn, view);

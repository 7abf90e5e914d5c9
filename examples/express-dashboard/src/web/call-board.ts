import type { StreamEvent } from "@eventwire/client";
import type { AgentEvents, CallEventName } from "./agent-events.js";
import { element, formatDuration, formatFields, formatPhone } from "./format.js";

/** An event of one call, as the stream delivers it (with its `id`). */
export type CallEvent = StreamEvent<AgentEvents, CallEventName>;

const callEvents = new Set<string>(["call.started", "user.message", "llm.tool_call", "llm.tool_result", "bot.word", "call.ended"]);

/** Whether an event belongs to a call (carries a `callId`) and is one the board draws. */
export function isCallEvent(event: { event: string }): event is CallEvent {
  return callEvents.has(event.event);
}

/**
 * The calls on screen: one card per call, newest first, the live ones with their transcript growing
 * word by word. A call is drawn from its `call.started`; events of a call whose start this page never
 * saw are ignored, so every transcript on screen is whole. A `call.started` for a call id already
 * shown starts that card over (a new call that reuses an id).
 */
export class CallBoard {
  readonly #container: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #cards = new Map<string, CallCard>();
  readonly #maxCards: number;
  readonly #onSelect: (callId: string) => void;
  #focus: string | undefined;
  #ended = 0;

  constructor(container: HTMLElement, options: { maxCards: number; onSelect: (callId: string) => void }) {
    this.#container = container;
    this.#maxCards = options.maxCards;
    this.#onSelect = options.onSelect;
    this.#empty = element("p", "empty", "Waiting for calls…");
    container.append(this.#empty);
  }

  /** Calls in progress, of those in view. */
  get liveCount(): number {
    let live = 0;
    for (const [id, card] of this.#cards) if (card.live && (this.#focus === undefined || id === this.#focus)) live++;
    return live;
  }

  /** Calls that ended since the board was last cleared, of those in view. */
  get endedCount(): number {
    if (this.#focus === undefined) return this.#ended;
    return this.#cards.get(this.#focus)?.live === false ? 1 : 0;
  }

  apply(event: CallEvent): void {
    if (event.event === "call.started") {
      this.#cards.get(event.callId)?.element.remove();
      const card = new CallCard(event, this.#onSelect);
      this.#cards.delete(event.callId);
      this.#cards.set(event.callId, card);
      this.#container.prepend(card.element);
      card.element.hidden = this.#focus !== undefined && this.#focus !== event.callId;
      this.#trim();
      this.#empty.hidden = true;
      return;
    }
    const card = this.#cards.get(event.callId);
    if (!card) return;
    card.apply(event);
    if (event.event === "call.ended") this.#ended++;
  }

  /** Shows only `callId`'s card (a scoped view), or every card again with `undefined`. */
  focus(callId: string | undefined): void {
    this.#focus = callId;
    this.#container.classList.toggle("focused", callId !== undefined);
    for (const [id, card] of this.#cards) card.element.hidden = callId !== undefined && id !== callId;
    this.#empty.textContent = callId === undefined ? "Waiting for calls…" : `Waiting for call ${callId}…`;
    this.#empty.hidden = callId === undefined ? this.#cards.size > 0 : this.#cards.has(callId);
  }

  /** Forgets every call (a view change, or a resume that could not be exact). */
  clear(): void {
    for (const card of this.#cards.values()) card.element.remove();
    this.#cards.clear();
    this.#ended = 0;
    this.#empty.hidden = false;
  }

  /** Keeps the `maxCards` calls that started last (and the focused one). */
  #trim(): void {
    for (const [id, card] of this.#cards) {
      if (this.#cards.size <= this.#maxCards) break;
      if (id === this.#focus) continue;
      card.element.remove();
      this.#cards.delete(id);
    }
  }
}

const endReasons: Record<string, string> = { hangup: "Caller hung up", agent_hangup: "Agent hung up", completed: "Completed" };

/** One call's card: header (agent, caller, state), transcript (caller, tools, agent's words), footer. */
class CallCard {
  readonly element: HTMLElement;
  live = true;
  readonly #transcript: HTMLOListElement;
  readonly #pill: HTMLElement;
  readonly #footer: HTMLElement;
  readonly #turns = new Map<number, HTMLElement>();
  readonly #tools = new Map<string, HTMLElement>();
  #speaking: HTMLElement | undefined;

  constructor(started: StreamEvent<AgentEvents, "call.started">, onSelect: (callId: string) => void) {
    const card = (this.element = element("article", "call"));
    card.dataset.callId = started.callId;
    card.dataset.org = started.orgId;
    card.dataset.state = "live";
    card.tabIndex = 0;
    card.title = `Watch only this call: a stream scoped with session=${started.callId}`;
    card.addEventListener("click", () => onSelect(started.callId));
    card.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") onSelect(started.callId);
    });

    const header = element("header");
    const avatar = element("span", "avatar", started.agent.slice(0, 1).toUpperCase());
    avatar.dataset.agent = started.agent;
    const who = element("div", "who");
    const title = element("div", "title");
    title.append(element("strong", "agent", started.agent), element("code", "call-id", started.callId), element("span", "org", started.orgId));
    const route = element("span", "route", formatPhone(started.from));
    route.title = `${started.from} called ${started.to}`;
    who.append(title, route);
    const state = element("div", "state");
    this.#pill = element("span", "pill", "Live");
    state.append(this.#pill);
    header.append(avatar, who, state);

    this.#transcript = element("ol", "transcript");
    this.#footer = element("footer", "summary");
    this.#footer.hidden = true;
    card.append(header, this.#transcript, this.#footer);
  }

  apply(event: Exclude<CallEvent, { event: "call.started" }>): void {
    switch (event.event) {
      case "user.message": {
        this.#stopSpeaking();
        const line = element("li", "line caller");
        line.append(element("span", "speaker", "Caller"), element("p", "text", event.text));
        this.#add(line);
        break;
      }
      case "llm.tool_call": {
        const tool = element("li", "tool");
        tool.dataset.toolCallId = event.toolCallId;
        const call = element("div", "tool-call");
        call.append(element("span", "tool-icon", "ƒ"), element("span", "tool-name", event.name), element("code", "args", formatFields(event.args)));
        const result = element("div", "result pending");
        result.append(element("span", "arrow", "→"), element("code", "value", "running…"));
        tool.append(call, result);
        this.#tools.set(event.toolCallId, tool);
        this.#add(tool);
        break;
      }
      case "llm.tool_result": {
        const result = this.#tools.get(event.toolCallId)?.querySelector(".result");
        if (!result) break;
        result.classList.remove("pending");
        result.querySelector(".value")!.textContent = formatFields(event.result);
        break;
      }
      case "bot.word": {
        let words = this.#turns.get(event.turn);
        if (!words) {
          this.#stopSpeaking();
          const line = element("li", "line bot");
          line.dataset.turn = String(event.turn);
          words = element("p", "text");
          line.append(element("span", "speaker", this.element.querySelector(".agent")?.textContent ?? "Agent"), words);
          this.#turns.set(event.turn, words);
          this.#add(line);
          this.#speaking = line;
          line.classList.add("speaking");
        }
        // Each word's index says where it belongs: a gap or a repeat would be a lost or doubled word.
        // A replay may merge a run of words into one event (`words`, from `index` on).
        let count = words.querySelectorAll(".word").length;
        if (event.index !== count) {
          this.element.classList.add("anomaly");
          console.warn(`call ${event.callId}, turn ${event.turn}: word #${event.index} arrived after ${count} words`);
        }
        for (const word of event.words ?? [event.word]) {
          if (count++ > 0) words.append(" ");
          words.append(element("span", "word", word));
        }
        this.#scrollDown();
        break;
      }
      case "call.ended": {
        this.#stopSpeaking();
        this.live = false;
        this.element.dataset.state = "ended";
        this.#pill.textContent = "Ended";
        this.#footer.textContent = `${endReasons[event.reason] ?? event.reason.replace(/_/g, " ")} · ${formatDuration(event.durationMs)}`;
        this.#footer.hidden = false;
        break;
      }
    }
  }

  #add(line: HTMLElement): void {
    this.#transcript.append(line);
    this.#scrollDown();
  }

  #stopSpeaking(): void {
    this.#speaking?.classList.remove("speaking");
    this.#speaking = undefined;
  }

  #scrollDown(): void {
    this.#transcript.scrollTop = this.#transcript.scrollHeight;
  }
}

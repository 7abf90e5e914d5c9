import type { StreamEvent } from "@eventwire/client";
import type { AgentEvents } from "./agent-events.js";
import { element, formatClock, formatFields } from "./format.js";

/** The raw wire: the latest events as they arrive, newest on top. */
export class EventFeed {
  readonly #list: HTMLElement;
  readonly #max: number;

  constructor(list: HTMLElement, max = 60) {
    this.#list = list;
    this.#max = max;
  }

  add(event: StreamEvent<AgentEvents>): void {
    const row = element("li");
    row.dataset.event = event.event;
    const session = "callId" in event ? event.callId : "";
    if (session) row.dataset.session = session;
    if ("orgId" in event) row.dataset.org = event.orgId;
    const name = element("span", "name", event.event);
    name.dataset.kind = event.event.split(".")[0];
    row.title = `received at ${formatClock(new Date())}`;
    row.append(
      name,
      element("span", "session", session || "—"),
      element("span", "detail", detailOf(event)),
    );
    this.#list.prepend(row);
    while (this.#list.childElementCount > this.#max) this.#list.lastElementChild!.remove();
  }

  clear(): void {
    this.#list.replaceChildren();
  }
}

function detailOf(event: StreamEvent<AgentEvents>): string {
  switch (event.event) {
    case "call.started":
      return `${event.from} → ${event.agent}`;
    case "user.message":
      return event.text;
    case "bot.word":
      return event.words ? `${event.words.join(" ")} (${event.words.length} words, merged on replay)` : event.word;
    case "llm.tool_call":
      return `${event.name}(${formatFields(event.args)})`;
    case "llm.tool_result":
      return formatFields(event.result);
    case "call.ended":
      return event.reason;
    case "agent.status":
      return `${event.agent}: ${event.status}`;
    case "system.metrics":
      return `${event.active} active · cpu ${event.cpu} · ${event.heapMb} MB`;
  }
}

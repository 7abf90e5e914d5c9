import { element } from "./format.js";
import type { MetricsSummary } from "./metrics-summary.js";

/**
 * The hub's live metrics, as a person would rather look at them than read them: events per second
 * (with a one-minute sparkline), open streams by transport, resumes, slow readers dropped and bus
 * lag. Polls `GET /metrics.json` every second; rates are the difference between two polls.
 */
export class MetricsPanel {
  readonly #root: HTMLElement;
  readonly #rates: number[] = [];
  #last: { at: number; published: number } | undefined;

  constructor(root: HTMLElement, everyMs = 1_000) {
    this.#root = root;
    const poll = (): Promise<void> =>
      fetch("/metrics.json", { cache: "no-store" }).then(
        async (response) => {
          // A server of this page without the route (examples/standalone): no panel.
          if (response.status === 404) return void (this.#root.hidden = true);
          if (response.ok) this.#render((await response.json()) as MetricsSummary);
          setTimeout(poll, everyMs);
        },
        () => {
          this.#root.classList.add("stale"); // the server is away: keep the last figures, dimmed
          setTimeout(poll, everyMs);
        },
      );
    void poll();
  }

  #render(summary: MetricsSummary): void {
    this.#root.classList.remove("stale");
    const now = performance.now();
    if (this.#last && summary.published >= this.#last.published) {
      this.#rates.push(((summary.published - this.#last.published) * 1_000) / (now - this.#last.at));
      if (this.#rates.length > 60) this.#rates.shift();
    }
    this.#last = { at: now, published: summary.published };
    const rate = this.#rates.at(-1);
    this.#set("rate", rate === undefined ? "…" : rate.toFixed(0));
    this.#set("connections", String(summary.connections.websocket + summary.connections.sse));
    this.#set("connections-detail", `${summary.connections.websocket} WebSocket · ${summary.connections.sse} SSE`);
    this.#set("resumes", String(summary.resumes.exact + summary.resumes.gap));
    this.#set("resumes-detail", `${summary.resumes.exact} exact · ${summary.resumes.gap} with a gap`);
    this.#set("dropped", String(summary.dropped));
    this.#set("lag", summary.busLagMs === null ? "…" : summary.busLagMs < 1 ? "<1 ms" : `${summary.busLagMs.toFixed(0)} ms`);
    this.#sparkline();
  }

  #set(metric: string, text: string): void {
    this.#root.querySelector(`[data-metric="${metric}"]`)!.textContent = text;
  }

  /** Bars for the last minute of events per second, scaled to the highest. */
  #sparkline(): void {
    const bars = this.#root.querySelector(".sparkline")!;
    const highest = Math.max(1, ...this.#rates);
    bars.replaceChildren(
      ...this.#rates.map((rate) => {
        const bar = element("i");
        bar.style.height = `${Math.max(4, (rate / highest) * 100)}%`;
        bar.title = `${rate.toFixed(0)} events/s`;
        return bar;
      }),
    );
  }
}

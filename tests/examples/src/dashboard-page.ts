import type { Page } from "playwright-core";
import type { DrawnCall } from "./expected-calls.js";

/** Every call card on the live call monitor's page (examples/express-dashboard), as drawn. */
export const drawnCalls = (page: Page): Promise<(DrawnCall & { hidden: boolean })[]> =>
  page.$$eval(".call", (cards) =>
    (cards as HTMLElement[]).map((card) => ({
      callId: card.dataset.callId!,
      state: card.dataset.state!,
      org: card.querySelector(".org")!.textContent!,
      agent: card.querySelector(".agent")!.textContent!,
      from: (card.querySelector(".route") as HTMLElement).title.split(" called ")[0]!,
      callerLines: [...card.querySelectorAll(".line.caller .text")].map((line) => line.textContent!),
      tools: [...card.querySelectorAll(".tool")].map((tool) => ({
        name: tool.querySelector(".tool-name")!.textContent!,
        result: tool.querySelector(".result.pending") ? null : tool.querySelector(".result .value")!.textContent!,
      })),
      replies: [...card.querySelectorAll<HTMLElement>(".line.bot")].map((line) => ({
        turn: Number(line.dataset.turn),
        words: [...line.querySelectorAll(".word")].map((word) => word.textContent!),
      })),
      anomaly: card.classList.contains("anomaly"),
      hidden: card.hidden,
    })),
  );

import type { Browser, BrowserContext, Page } from "playwright-core";
import type { DrawnCall } from "./expected-calls.js";
import { signInBrowser } from "./sign-in.js";


/** Every call card on the live call monitor's page (examples/express-dashboard), as drawn, read in one turn of the page. */
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

/** A page of the live call monitor in a browser context of its own (its own cookies), and what went wrong on it. */
export interface DashboardPage {
  context: BrowserContext;
  page: Page;
  /** The page's uncaught errors, and its warnings (it warns when a word arrives out of place). */
  errors: string[];
}

/**
 * A fresh context and page, signed in as `account` (the operator watches every customer's calls),
 * not yet opened: one per test, so that what goes wrong in one stays in it. Chromium's own
 * console errors (refused connections during an outage) are expected and not recorded.
 */
export async function dashboardPage(browser: Browser, origin: string, account: "operator" | "acme" | "globex" = "operator"): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  await signInBrowser(context, origin, account);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "warning") errors.push(message.text());
  });
  return { context, page, errors };
}

/**
 * Waits until `predicate(arg)`, evaluated in the page, returns something truthy, and returns it; after
 * `timeoutMs`, fails saying what it waited for.
 */
export async function waitInPage<A, R>(page: Page, what: string, predicate: (arg: A) => R, arg: A, timeoutMs = 20_000): Promise<NonNullable<R>> {
  try {
    // (playwright's own typing of `arg` does not follow a generic `A`)
    return (await (await page.waitForFunction(predicate as never, arg, { timeout: timeoutMs })).jsonValue()) as NonNullable<R>;
  } catch (error) {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: error });
  }
}

/** Waits until an element matches `selector`. */
export const shows = (page: Page, selector: string, what: string, timeoutMs?: number): Promise<boolean> =>
  waitInPage(page, `${what} (${selector})`, (wanted) => document.querySelector(wanted) !== null, selector, timeoutMs);

/** Waits until the page's status badge says `status` ("connected", "reconnecting", "signed-out"...). */
export const statusIs = (page: Page, status: string): Promise<boolean> =>
  waitInPage(page, `the status badge to say ${status}`, (wanted) => document.querySelector<HTMLElement>("#status")?.dataset.status === wanted, status);

import { until } from "@eventwire/conformance";
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
 * How long a page gets for what must come (a connection, an event, a call's end): generous, for a
 * machine whose cores are busy with other work; a deadline, not a timing assertion.
 */
export const pageDeadlineMs = 45_000;

/**
 * Waits until `predicate(arg)`, evaluated in the page, returns something truthy, and returns it; after
 * `timeoutMs`, fails saying what it waited for.
 */
export async function waitInPage<A, R>(page: Page, what: string, predicate: (arg: A) => R, arg: A, timeoutMs = pageDeadlineMs): Promise<NonNullable<R>> {
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

/** A word of an agent's reply as the page drew it: its call, turn, place in the turn and text. */
export interface WordDrawn {
  callId: string;
  turn: number;
  index: number;
  word: string;
}

/**
 * Records every word the page draws from now on, as it draws it, cards the board evicts later
 * included (a card a replay draws can be gone a moment later, when six newer calls have started).
 * Read the record with `wordsDrawn`.
 */
export const recordWordsDrawn = (page: Page): Promise<void> =>
  page.evaluate(() => {
    const drawn: WordDrawn[] = [];
    (window as unknown as { wordsDrawn: WordDrawn[] }).wordsDrawn = drawn;
    const seen = new WeakSet<Node>();
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        for (const node of mutation.addedNodes) {
          if (!(node instanceof HTMLElement)) continue;
          for (const word of node.matches(".word") ? [node] : node.querySelectorAll<HTMLElement>(".word")) {
            if (seen.has(word)) continue; // added with its line, and reported again on its own
            seen.add(word);
            const line = word.closest<HTMLElement>(".line.bot")!;
            drawn.push({ callId: word.closest<HTMLElement>(".call")!.dataset.callId!, turn: Number(line.dataset.turn), index: [...line.querySelectorAll(".word")].indexOf(word), word: word.textContent! });
          }
        }
      }
    }).observe(document.querySelector("#calls")!, { childList: true, subtree: true });
  });

/** The words drawn since `recordWordsDrawn`, in order. */
export const wordsDrawn = (page: Page): Promise<WordDrawn[]> => page.evaluate(() => (window as unknown as { wordsDrawn: WordDrawn[] }).wordsDrawn);

/** Whether `a` and `b` are the same place in a reply: call, turn and index. */
export const samePlace = (a: WordDrawn, b: WordDrawn): boolean => a.callId === b.callId && a.turn === b.turn && a.index === b.index;

/** Waits until the page has drawn a word at `word`'s place (since `recordWordsDrawn`), and returns every word drawn so far. */
export async function untilWordDrawn(page: Page, word: WordDrawn, what: string): Promise<WordDrawn[]> {
  let drawn: WordDrawn[] = [];
  await until(async () => (drawn = await wordsDrawn(page)).some((other) => samePlace(other, word)), `${what} (${word.callId}, turn ${word.turn}, word ${word.index}) drawn`, pageDeadlineMs);
  return drawn;
}

/**
 * Clicks a live call's card and returns its id, picked and clicked in one turn of the page so the
 * call cannot end in between: the live call that started last (cards are newest first), so that
 * most of it is still to come.
 */
export function clickLiveCall(page: Page): Promise<string> {
  return waitInPage(
    page,
    "a live call's card to click",
    () => {
      const card = document.querySelector<HTMLElement>('.call[data-state="live"]');
      card?.click();
      return card?.dataset.callId;
    },
    undefined,
  );
}

import { resolve } from "node:path";
import { SseClient, TcpProxy, until } from "@eventwire/conformance";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchChromium, skipBrowserTests } from "../src/browser.js";
import { exampleDir, startExample, stopAllExamples, type ExampleProcess } from "../src/example-process.js";
import { correctDrawings, type DrawnCall } from "../src/expected-calls.js";
import { clickLiveCall, dashboardPage, drawnCalls, pageDeadlineMs, recordWordsDrawn, samePlace, shows, statusIs, untilWordDrawn, waitInPage, type DashboardPage } from "../src/dashboard-page.js";
import { signInCookie } from "../src/sign-in.js";

/**
 * The live call monitor (examples/express-dashboard), started with `npm start` as a user would, in
 * headless Chromium. The browser reaches it through a TCP relay, so the network can fail while the
 * server and its agent keep running; and the server itself is restarted on the same port. Every
 * call on screen is checked, word for word, against the script the agent replays.
 */
/**
 * Every run saves its screenshot under test-results/ (ignored by git); `UPDATE_SCREENSHOT=1` writes
 * the one the README shows, examples/express-dashboard/screenshot.png.
 */
const screenshotPath = process.env.UPDATE_SCREENSHOT
  ? resolve(exampleDir("express-dashboard"), "screenshot.png")
  : resolve(import.meta.dirname, "../test-results/dashboard.png");

describe.skipIf(skipBrowserTests)("the live call monitor in headless Chromium", () => {
  let demo: ExampleProcess;
  let proxy: TcpProxy;
  let browser: Browser;
  /** This test's page: a context of its own, so that a failure stays in its test. */
  let dashboard: DashboardPage;
  let page: Page;
  /** The operator's sign-in, for the witnesses that go to the server straight. */
  let operator: { cookie: string };

  beforeAll(async () => {
    demo = await startExample("express-dashboard");
    proxy = new TcpProxy(demo.port);
    await proxy.start();
    browser = await launchChromium();
    operator = await signInCookie(demo.origin, "operator");
  });

  // The operator (who watches every customer's calls), through the relay.
  beforeEach(async () => {
    dashboard = await dashboardPage(browser, demo.origin);
    page = dashboard.page;
    await page.goto(`http://127.0.0.1:${proxy.port}/`);
    await statusIs(page, "connected");
  });

  afterEach(async () => {
    await dashboard?.context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    await stopAllExamples();
  });

  /** Each call in `calls` (default: on the page now, read in one turn) is drawn exactly as its script says, up to where it is: nothing lost, doubled or out of order. */
  async function expectCallsDrawnAsScripted(calls?: (DrawnCall & { hidden: boolean })[]): Promise<(DrawnCall & { hidden: boolean })[]> {
    calls ??= await drawnCalls(page);
    expect(calls.length).toBeGreaterThan(0);
    for (const { hidden: _hidden, ...call } of calls) expect(correctDrawings(call.callId)).toContainEqual(call);
    return calls;
  }

  const gaps = async () => Number(await page.getAttribute("body", "data-gaps"));

  /** Waits until `count` more agent words than now are on screen (cards that scrolled away aside). */
  async function wordsStreamIn(count: number): Promise<void> {
    const wordsPerCall = () =>
      Object.fromEntries([...document.querySelectorAll<HTMLElement>(".call")].map((card) => [card.dataset.callId!, card.querySelectorAll(".word").length]));
    const before = await page.evaluate(wordsPerCall);
    await waitInPage(
      page,
      `${count} more words on screen`,
      ({ before, count }) => {
        let added = 0;
        for (const card of document.querySelectorAll<HTMLElement>(".call")) added += card.querySelectorAll(".word").length - (before[card.dataset.callId!] ?? 0);
        return added >= count;
      },
      { before, count },
    );
  }

  /**
   * Cuts the network between browser and server while the agent keeps talking, and restores it:
   * the badge says reconnecting, then connected; every word spoken meanwhile appears once.
   */
  async function survivesAnOutage(): Promise<void> {
    // A second client, straight to the server, sees what the agent says during the outage.
    const witness = await SseClient.open(`${demo.origin}/events?events=bot.word`, operator);
    try {
      await proxy.stop();
      await statusIs(page, "reconnecting");
      await recordWordsDrawn(page);
      const before = witness.events.length;
      await until(() => witness.events.length >= before + 8, "the agent to speak 8 words during the outage", 15_000);
      const spoken = witness.events.slice(before).map((event) => ({ callId: event.callId as string, turn: event.turn as number, index: event.index as number, word: event.word as string }));
      await proxy.start();
      await statusIs(page, "connected");
      const drawn = await untilWordDrawn(page, spoken.at(-1)!, "the last word spoken during the outage");
      await expectCallsDrawnAsScripted();
      // Each word spoken during the outage is drawn once, at its place (as it was drawn: the board
      // may have dropped its card since, for newer calls).
      expect(spoken.map((word) => drawn.filter((other) => samePlace(other, word)))).toEqual(spoken.map((word) => [word]));
      expect(await gaps()).toBe(0);
    } finally {
      witness.close();
    }
  }

  it("shows the calls as they happen: callers, agents, words streaming in, tool results", async () => {
    await shows(page, '.call[data-state="live"] .word', "a live call's words");
    await wordsStreamIn(5);
    await shows(page, ".tool .result:not(.pending)", "a tool's result");
    const calls = await expectCallsDrawnAsScripted();
    expect(calls.some((call) => call.tools.some((tool) => tool.result !== null))).toBe(true);
    expect([await page.textContent("#stream-transport"), await page.textContent("#stream-url")]).toEqual(["WebSocket", "/events?include=llm.tool_result"]);
    expect(dashboard.errors).toEqual([]);
  });

  it("resumes after a network outage on WebSocket with no word lost or doubled", async () => {
    await survivesAnOutage();
    expect(dashboard.errors).toEqual([]);
  });

  it("counts in words a person would write: 1 call live, 3 calls live", async () => {
    // Every count the page shows, with its label, from now on: a count lasts as long as the calls
    // overlap that way (a moment a poll can miss on a busy machine), so it is recorded as drawn.
    await page.evaluate(() => {
      const shown: [string, string][] = [];
      (window as unknown as { liveCounts: [string, string][] }).liveCounts = shown;
      const count = document.querySelector("#live-count")!;
      const label = document.querySelector("#live-label")!;
      const record = () => {
        const now: [string, string] = [count.textContent!, label.textContent!];
        if (shown.at(-1)?.join() !== now.join()) shown.push(now);
      };
      record();
      const observer = new MutationObserver(record);
      for (const node of [count, label]) observer.observe(node, { childList: true, characterData: true, subtree: true });
    });
    const liveCounts = () => page.evaluate(() => (window as unknown as { liveCounts: [string, string][] }).liveCounts);
    await until(
      async () => {
        const counts = (await liveCounts()).map(([count]) => Number(count));
        return counts.includes(1) && counts.some((count) => count >= 3);
      },
      "the page to show 1 call live and, at another time, 3 or more",
      pageDeadlineMs,
    );
    const counts = await liveCounts();
    expect(counts).toEqual(counts.map(([count]) => [count, count === "1" ? "call live" : "calls live"]));
  });

  it("looks like something to show the team (screenshot)", async () => {
    // A busy moment: a full board, calls live, tools answered, the agent talking.
    await waitInPage(
      page,
      "a full board of 6 calls, 2 or more of them live with 12 words or more, and a live call's tool answered",
      () =>
        document.querySelectorAll(".call").length === 6 &&
        document.querySelectorAll('.call[data-state="live"]').length >= 2 &&
        document.querySelectorAll('.call[data-state="live"] .tool .result:not(.pending)').length >= 1 &&
        document.querySelectorAll('.call[data-state="live"] .word').length >= 12,
      undefined,
      pageDeadlineMs,
    );
    await page.screenshot({ path: screenshotPath, animations: "disabled" });
    await expectCallsDrawnAsScripted();
  });

  it("switches to SSE, resuming where the WebSocket stopped, and survives an outage there too", async () => {
    await page.click('#transport button[data-transport="sse"]');
    await waitInPage(page, "the SSE stream to be shown", () => document.querySelector("#stream-transport")?.textContent === "SSE", undefined);
    await statusIs(page, "connected");
    expect(await page.getAttribute('#transport button[data-transport="sse"]', "aria-pressed")).toBe("true");
    expect([await page.textContent("#stream-transport"), await page.textContent("#stream-url")]).toEqual(["SSE", "/events?include=llm.tool_result"]);
    await wordsStreamIn(5);
    await expectCallsDrawnAsScripted();
    await survivesAnOutage();
    expect(dashboard.errors).toEqual([]);
  });

  it("narrows the view to one call with a scoped stream when the call is clicked", async () => {
    // The click must land while the call is live: calls last 2-3 s, and one whose end the page
    // already has leaves the scoped stream nothing of it to deliver.
    const callId = await clickLiveCall(page);

    await shows(page, "#scope:not([hidden])", "the scope banner");
    expect(await page.textContent("#scope .session")).toBe(callId);
    expect([await page.textContent("#stream-transport"), await page.textContent("#stream-url")]).toEqual(["WebSocket", `/events?session=${callId}&include=llm.tool_result`]);
    expect(new URL(page.url()).searchParams.get("session")).toBe(callId);
    // The call plays out to its end on the scoped stream...
    await shows(page, `.call[data-call-id="${callId}"][data-state="ended"]`, "the clicked call's end");
    const calls = await expectCallsDrawnAsScripted();
    expect(calls.filter((call) => !call.hidden).map((call) => call.callId)).toEqual([callId]);
    expect(calls.find((call) => call.callId === callId)).toEqual({ ...correctDrawings(callId).at(-1), hidden: false });
    // ...and everything the scoped stream delivered was that call's.
    const feed = await page.$$eval("#feed li", (rows) => (rows as HTMLElement[]).map((row) => row.dataset.session ?? "(none)"));
    expect(feed.length).toBeGreaterThan(0);
    expect(new Set(feed)).toEqual(new Set([callId]));
    // No other call starts on screen while scoped, though the agent keeps placing them: one starts
    // and ends on the server (a witness sees it) and the page still shows the clicked call alone.
    const witness = await SseClient.open(`${demo.origin}/events?events=call.started,call.ended`, operator);
    try {
      await until(
        () => witness.events.some((end) => end.event === "call.ended" && witness.events.some((start) => start.event === "call.started" && start.callId === end.callId)),
        "another call to start and end on the server",
        20_000,
      );
    } finally {
      witness.close();
    }
    expect((await drawnCalls(page)).filter((call) => !call.hidden).map((call) => call.callId)).toEqual([callId]);

    // The button's own click (the banner moves as the card above it grows: a click at the
    // button's place a moment late on a busy machine can land on a card).
    await page.locator("#scope button").dispatchEvent("click");
    await shows(page, "#scope[hidden]", "the scope banner to go");
    await waitInPage(page, "2 or more calls on screen again", () => document.querySelectorAll(".call:not([hidden])").length >= 2, undefined);
    expect([await page.textContent("#stream-transport"), await page.textContent("#stream-url")]).toEqual(["WebSocket", "/events?include=llm.tool_result"]);
    await expectCallsDrawnAsScripted();
    expect(dashboard.errors).toEqual([]);
  });

  it("shows reconnecting while the server is down, connected when it is back, and rebuilds from the new server's history", async () => {
    // Every notice the page shows from now on, with its text, as it is shown: it hides itself
    // after 10 s, which a busy machine can let pass before a poll looks.
    await page.evaluate(() => {
      const notice = document.querySelector<HTMLElement>("#notice")!;
      const shown: string[] = [];
      (window as unknown as { noticesShown: string[] }).noticesShown = shown;
      new MutationObserver(() => {
        const message = notice.querySelector(".message")!.textContent!;
        if (!notice.hidden && shown.at(-1) !== message) shown.push(message);
      }).observe(notice, { attributes: true, attributeFilter: ["hidden"], childList: true, characterData: true, subtree: true });
    });
    const noticesShown = () => page.evaluate(() => (window as unknown as { noticesShown: string[] }).noticesShown);

    await demo.stop();
    await statusIs(page, "reconnecting");
    demo = await startExample("express-dashboard", { port: demo.port });
    await statusIs(page, "connected");
    // The new process has a new history: the page is told (a gap), says so, and redraws from it.
    await waitInPage(page, "the page to count a gap", () => document.body.dataset.gaps === "1", undefined);
    await until(async () => (await noticesShown()).length > 0, "the page to show a notice of the gap", pageDeadlineMs);
    // The gap says why, and so does the notice: an id of the earlier run is a `reset`.
    expect([await page.getAttribute("body", "data-gap-reason"), await noticesShown()]).toEqual(["reset", [expect.stringMatching(/^The server restarted/)]]);
    // Its agent starts the script over: the first round's calls have no `_rN` suffix. The board as
    // it stands once one of them is drawn ended, read in one turn (newer calls push it off later).
    let calls: (DrawnCall & { hidden: boolean })[] = [];
    const firstRound = () => calls.find((call) => !/_r\d+$/.test(call.callId) && call.state === "ended");
    await until(async () => ((calls = await drawnCalls(page)), firstRound() !== undefined), "a call of the script's first round to be drawn ended", pageDeadlineMs);
    await expectCallsDrawnAsScripted(calls);
    expect(firstRound()).toEqual({ ...correctDrawings(firstRound()!.callId).at(-1), hidden: false });
    expect(dashboard.errors).toEqual([]);
  });
});

/** What the tenant cases's pages record: every call card and feed row ever added, with the account shown when it was. */
interface Drawn {
  kind: "card" | "row";
  /** The tenant of the call or event (`orgId`); "" for an event of no tenant. */
  org: string;
  callId: string;
  /** The account the page showed as signed in at that moment. */
  account: string;
}

describe.skipIf(skipBrowserTests)("the live call monitor, signed in as one customer and then the other", () => {
  let demo: ExampleProcess;
  let browser: Browser;
  const pageErrors: string[] = [];
  /** A witness of every call's start and end, straight from the server, as the operator. */
  let witness: SseClient;

  beforeAll(async () => {
    demo = await startExample("express-dashboard");
    browser = await launchChromium();
    witness = await SseClient.open(`${demo.origin}/events?events=call.started,call.ended`, await signInCookie(demo.origin, "operator"));
  });

  beforeEach(() => {
    pageErrors.length = 0; // each test's own
  });

  afterAll(async () => {
    witness?.close();
    await browser?.close();
    await stopAllExamples();
  });

  /** A page that records, from before its script runs, every card and feed row it ever draws. */
  async function recordingPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.addInitScript(() => {
      const drawn: Drawn[] = [];
      (window as unknown as { drawn: Drawn[] }).drawn = drawn;
      new MutationObserver((mutations) => {
        const account = document.querySelector<HTMLElement>('#account button[aria-pressed="true"]')?.dataset.account ?? "";
        for (const mutation of mutations) {
          for (const node of mutation.addedNodes) {
            if (!(node instanceof HTMLElement)) continue;
            if (node.matches(".call")) drawn.push({ kind: "card", org: node.dataset.org ?? "", callId: node.dataset.callId!, account });
            if (node.matches("#feed li")) drawn.push({ kind: "row", org: node.dataset.org ?? "", callId: node.dataset.session ?? "", account });
          }
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${demo.origin}/`);
    return page;
  }

  const drawnWhile = async (page: Page, account: string): Promise<Drawn[]> =>
    (await page.evaluate(() => (window as unknown as { drawn: Drawn[] }).drawn)).filter((drawn) => drawn.account === account);

  /** Waits until a call of `org` that starts from now on (the witness sees it) is drawn ended on `page`, as scripted. */
  async function aNewCallPlaysOut(page: Page, org: string): Promise<string> {
    const from = witness.events.length;
    const started = () => witness.events.slice(from).find((event) => event.event === "call.started" && event.orgId === org);
    await until(() => started() !== undefined, `a call of ${org} to start`, 20_000);
    const callId = started()!.callId as string;
    // Read in the turn of the page that finds it ended.
    const card = await waitInPage(
      page,
      `${callId} (of ${org}) to be drawn ended`,
      (id) => {
        const element = document.querySelector<HTMLElement>(`.call[data-call-id="${id}"][data-state="ended"]`);
        return (
          element && {
            org: element.querySelector(".org")!.textContent,
            callerLines: [...element.querySelectorAll(".line.caller .text")].map((line) => line.textContent),
            words: element.querySelectorAll(".word").length,
          }
        );
      },
      callId,
    );
    const script = correctDrawings(callId).at(-1)!;
    expect(card).toEqual({ org, callerLines: script.callerLines, words: script.replies.flatMap((reply) => reply.words).length });
    return callId;
  }

  /** Waits until the witness has seen a call of `org` start and end from now on: calls the page must not show. */
  async function aCallOfPlaysOut(org: string): Promise<string> {
    const from = witness.events.length;
    const ended = () => {
      const since = witness.events.slice(from);
      return since.find((event) => event.event === "call.ended" && since.some((start) => start.event === "call.started" && start.callId === event.callId && start.orgId === org));
    };
    await until(() => ended() !== undefined, `a call of ${org} to start and end`, 20_000);
    return ended()!.callId as string;
  }

  it("shows a customer its own calls only, new ones included; signed in as the other customer, only the other's", async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    try {
      const page = await recordingPage(context);
      await statusIs(page, "signed-out");
      expect(await page.isVisible("#signed-out")).toBe(true);

      await page.click('#account button[data-account="acme"]');
      await statusIs(page, "connected");
      expect(await page.textContent("#signed-in-as")).toBe("Signed in as Acme Corp.");
      const [acmeCall, globexCall] = await Promise.all([aNewCallPlaysOut(page, "acme"), aCallOfPlaysOut("globex")]);
      await aNewCallPlaysOut(page, "acme"); // and the next one, after globex's ended
      const whileAcme = await drawnWhile(page, "acme");
      expect(whileAcme.some((drawn) => drawn.kind === "card" && drawn.callId === acmeCall)).toBe(true);
      expect(whileAcme.filter((drawn) => drawn.org !== "acme")).toEqual([]); // no card, no row of globex (nor of no tenant), ever
      expect(whileAcme.some((drawn) => drawn.callId === globexCall)).toBe(false);

      await page.click('#account button[data-account="globex"]');
      await statusIs(page, "connected");
      expect(await page.textContent("#signed-in-as")).toBe("Signed in as Globex.");
      const [globexNext, acmeNext] = await Promise.all([aNewCallPlaysOut(page, "globex"), aCallOfPlaysOut("acme")]);
      await aNewCallPlaysOut(page, "globex");
      const whileGlobex = await drawnWhile(page, "globex");
      expect(whileGlobex.some((drawn) => drawn.kind === "card" && drawn.callId === globexNext)).toBe(true);
      expect(whileGlobex.filter((drawn) => drawn.org !== "globex")).toEqual([]);
      expect(whileGlobex.some((drawn) => drawn.callId === acmeNext)).toBe(false);
      // What is on screen now is globex's only: acme's cards went with the switch.
      expect(new Set(await page.$$eval(".call", (cards) => (cards as HTMLElement[]).map((card) => card.dataset.org)))).toEqual(new Set(["globex"]));

      await page.click("#sign-out");
      await statusIs(page, "signed-out");
      expect([await page.isVisible("#signed-out"), await page.$$eval(".call", (cards) => cards.length)]).toEqual([true, 0]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("ends another tab's stream when the browser signs in as someone else there, and that tab follows", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const first = await recordingPage(context);
      await first.click('#account button[data-account="acme"]');
      await statusIs(first, "connected");
      const second = await recordingPage(context); // the same browser: signed in as acme too
      await statusIs(second, "connected");
      expect(await second.textContent("#signed-in-as")).toBe("Signed in as Acme Corp.");

      await first.click('#account button[data-account="globex"]'); // revokes acme's sign-in: the second tab's stream closes (4403)
      await waitInPage(second, "the second tab to follow the sign-in as Globex", () => document.querySelector("#signed-in-as")?.textContent === "Signed in as Globex.", undefined);
      await statusIs(second, "connected");
      await aNewCallPlaysOut(second, "globex");
      expect((await drawnWhile(second, "globex")).filter((drawn) => drawn.org !== "globex")).toEqual([]);
      expect((await drawnWhile(second, "acme")).filter((drawn) => drawn.org !== "acme")).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe.skipIf(skipBrowserTests)("the Next.js example's page (useEventStream) in headless Chromium", () => {
  let app: ExampleProcess;
  let browser: Browser;

  beforeAll(async () => {
    app = await startExample("next-pages");
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stopAllExamples();
  });

  it("renders the calls from /api/events on both transports, and scopes to a clicked call", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${app.origin}/`);
    const badgeIs = (status: string) => shows(page, `.badge[data-status="${status}"]`, `the badge to say ${status}`);

    // WebSocket first, on a server that has served no API request yet: the page's render claimed the path.
    await badgeIs("connected");
    await shows(page, '.call[data-state="live"] .line.bot', "a live call's reply");
    await shows(page, ".tool .result:not(.pending)", "a tool's result");

    await page.click('button[data-transport="sse"]');
    expect(await page.getAttribute('button[data-transport="sse"]', "aria-pressed")).toBe("true");
    await badgeIs("connected");
    const callId = await clickLiveCall(page);
    await shows(page, `.call[data-call-id="${callId}"][data-state="ended"]`, "the clicked call's end");
    expect(await page.$$eval(".call", (cards) => (cards as HTMLElement[]).map((card) => card.dataset.callId))).toEqual([callId]);
    // The whole call, as scripted: the caller's lines and the agent's replies, word for word.
    const drawn = await page.$eval(`.call[data-call-id="${callId}"]`, (card) => ({
      callerLines: [...card.querySelectorAll(".line.caller")].map((line) => line.textContent),
      replies: [...card.querySelectorAll<HTMLElement>(".line.bot")].map((line) => ({ turn: Number(line.dataset.turn), words: line.textContent!.split(" ") })),
    }));
    const { callerLines, replies } = correctDrawings(callId).at(-1)!;
    expect(drawn).toEqual({ callerLines, replies });
    expect(errors).toEqual([]);
    await page.close();
  });
});

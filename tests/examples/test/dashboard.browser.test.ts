import { resolve } from "node:path";
import { SseClient, TcpProxy, until } from "@eventwire/conformance";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, skipBrowserTests } from "../src/browser.js";
import { exampleDir, startExample, stopAllExamples, type ExampleProcess } from "../src/example-process.js";
import { correctDrawings, type DrawnCall } from "../src/expected-calls.js";
import { drawnCalls as drawnCallsOn } from "../src/dashboard-page.js";
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
const timeout = { timeout: 20_000 };

describe.skipIf(skipBrowserTests)("the live call monitor in headless Chromium", () => {
  let demo: ExampleProcess;
  let proxy: TcpProxy;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** The operator's sign-in, for the witnesses that go to the server straight. */
  let operator: { cookie: string };

  beforeAll(async () => {
    demo = await startExample("express-dashboard");
    proxy = new TcpProxy(demo.port);
    await proxy.start();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    // The page warns when a word arrives out of place; Chromium's own errors (refused connections
    // during the outages) are expected.
    page.on("console", (message) => {
      if (message.type() === "warning") pageErrors.push(message.text());
    });
    await page.goto(`http://127.0.0.1:${proxy.port}/`);
    // The operator watches every customer's calls.
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#status")?.dataset.status === "signed-out", undefined, timeout);
    await page.click('#account button[data-account="operator"]');
    operator = await signInCookie(demo.origin, "operator");
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    await stopAllExamples();
  });

  /** Every call card on the page, as drawn. */
  const drawnCalls = () => drawnCallsOn(page);

  /** Each call on screen is drawn exactly as its script says, up to where it is: nothing lost, doubled or out of order. */
  async function expectCallsDrawnAsScripted(): Promise<(DrawnCall & { hidden: boolean })[]> {
    const calls = await drawnCalls();
    expect(calls.length).toBeGreaterThan(0);
    for (const { hidden: _hidden, ...call } of calls) expect(correctDrawings(call.callId)).toContainEqual(call);
    return calls;
  }

  const statusIs = (status: string) =>
    page.waitForFunction((wanted) => document.querySelector<HTMLElement>("#status")?.dataset.status === wanted, status, timeout);
  const gaps = async () => Number(await page.getAttribute("body", "data-gaps"));

  /** Waits until `count` more agent words than now are on screen (cards that scrolled away aside). */
  async function wordsStreamIn(count: number): Promise<void> {
    const wordsPerCall = () =>
      Object.fromEntries([...document.querySelectorAll<HTMLElement>(".call")].map((card) => [card.dataset.callId!, card.querySelectorAll(".word").length]));
    const before = await page.evaluate(wordsPerCall);
    await page.waitForFunction(
      ({ before, count }) => {
        let added = 0;
        for (const card of document.querySelectorAll<HTMLElement>(".call")) added += card.querySelectorAll(".word").length - (before[card.dataset.callId!] ?? 0);
        return added >= count;
      },
      { before, count },
      timeout,
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
      await statusIs("reconnecting");
      const before = witness.events.length;
      await until(() => witness.events.length >= before + 8, "the agent to speak 8 words during the outage", 15_000);
      const spoken = witness.events.slice(before).map((event) => ({ callId: event.callId as string, turn: event.turn as number, index: event.index as number }));
      await proxy.start();
      await statusIs("connected");
      const last = spoken.at(-1)!;
      await page.waitForFunction(
        ({ callId, turn, index }) =>
          document.querySelectorAll(`.call[data-call-id="${callId}"] .line.bot[data-turn="${turn}"] .word`).length > index,
        last,
        timeout,
      );
      const calls = await expectCallsDrawnAsScripted();
      // Each word spoken during the outage is on screen, at its place.
      for (const { callId, turn, index } of spoken) {
        const call = calls.find((drawn) => drawn.callId === callId);
        if (call) expect(call.replies.find((reply) => reply.turn === turn)?.words.length).toBeGreaterThan(index);
      }
      expect(await gaps()).toBe(0);
    } finally {
      witness.close();
    }
  }

  it("shows the calls as they happen: callers, agents, words streaming in, tool results", async () => {
    await statusIs("connected");
    await page.waitForSelector('.call[data-state="live"] .word', timeout);
    await wordsStreamIn(5);
    await page.waitForSelector(".tool .result:not(.pending)", timeout);
    const calls = await expectCallsDrawnAsScripted();
    expect(calls.some((call) => call.tools.some((tool) => tool.result !== null))).toBe(true);
    expect([await page.textContent("#stream-transport"), await page.textContent("#stream-url")]).toEqual(["WebSocket", "/events?include=llm.tool_result"]);
  });

  it("resumes after a network outage on WebSocket with no word lost or doubled", async () => {
    await survivesAnOutage();
  });

  it("counts in words a person would write: 1 call live, 3 calls live", async () => {
    const labelAt = async (count: string) =>
      (await page.waitForFunction(
        (wanted) => document.querySelector("#live-count")?.textContent === wanted && document.querySelector("#live-label")?.textContent,
        count,
        { timeout: 30_000, polling: 10 },
      )).jsonValue();
    expect([await labelAt("1"), await labelAt("3")]).toEqual(["call live", "calls live"]);
  });

  it("looks like something to show the team (screenshot)", async () => {
    // A busy moment: three calls live, a tool answered, the agent talking.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.call[data-state="live"]').length === 3 &&
        document.querySelectorAll('.call[data-state="live"] .tool .result:not(.pending)').length === 3 &&
        document.querySelectorAll('.call[data-state="live"] .word').length >= 18 &&
        document.querySelectorAll(".call").length === 6,
      undefined,
      { timeout: 30_000, polling: 20 },
    );
    await page.screenshot({ path: screenshotPath, animations: "disabled" });
    await expectCallsDrawnAsScripted();
  });

  it("switches to SSE, resuming where the WebSocket stopped, and survives an outage there too", async () => {
    await page.click('#transport button[data-transport="sse"]');
    await statusIs("connected");
    expect(await page.getAttribute('#transport button[data-transport="sse"]', "aria-pressed")).toBe("true");
    expect([await page.textContent("#stream-transport"), await page.textContent("#stream-url")]).toEqual(["SSE", "/events?include=llm.tool_result"]);
    await wordsStreamIn(5);
    await expectCallsDrawnAsScripted();
    await survivesAnOutage();
  });


  it("narrows the view to one call with a scoped stream when the call is clicked", async () => {
    await page.click('#transport button[data-transport="websocket"]');
    await statusIs("connected");
    // The click must land while the call is live: calls last 2-3 s, and one whose end the page
    // already has leaves the scoped stream nothing of it to deliver. So the state is read and the
    // click made in one turn of the page (no event can arrive between them), on a call that has
    // just started; should it have ended by then on a busy machine, the next call is taken.
    let callId: string | undefined;
    for (let attempt = 1; callId === undefined; attempt++) {
      if (attempt > 5) throw new Error("no call was still live when its card was clicked, in 5 attempts");
      const starts = await SseClient.open(`${demo.origin}/events?events=call.started`, operator);
      let started: string;
      try {
        await starts.waitForEvents(1, 15_000);
        started = starts.events[0]!.callId as string;
      } finally {
        starts.close();
      }
      await page.waitForSelector(`.call[data-call-id="${started}"]`, timeout);
      const stateAtClick = await page.evaluate((id) => {
        const card = document.querySelector<HTMLElement>(`.call[data-call-id="${id}"]`)!;
        const state = card.dataset.state;
        card.click();
        return state;
      }, started);
      if (stateAtClick === "live") callId = started;
      else await page.click("#scope button"); // back to every call, to try the next one
    }

    await page.waitForSelector("#scope:not([hidden])", timeout);
    expect(await page.textContent("#scope .session")).toBe(callId);
    expect([await page.textContent("#stream-transport"), await page.textContent("#stream-url")]).toEqual(["WebSocket", `/events?session=${callId}&include=llm.tool_result`]);
    expect(new URL(page.url()).searchParams.get("session")).toBe(callId);
    // The call plays out to its end on the scoped stream...
    await page.waitForSelector(`.call[data-call-id="${callId}"][data-state="ended"]`, timeout);
    const calls = await expectCallsDrawnAsScripted();
    expect(calls.filter((call) => !call.hidden).map((call) => call.callId)).toEqual([callId]);
    expect(calls.find((call) => call.callId === callId)).toEqual({ ...correctDrawings(callId).at(-1), hidden: false });
    // ...and everything the scoped stream delivered was that call's.
    const feed = await page.$$eval("#feed li", (rows) => (rows as HTMLElement[]).map((row) => row.dataset.session ?? "(none)"));
    expect(feed.length).toBeGreaterThan(0);
    expect(new Set(feed)).toEqual(new Set([callId]));
    // No other call starts on screen while scoped, though the agent keeps placing them.
    const witness = await SseClient.open(`${demo.origin}/events?events=call.started`, operator);
    await witness.waitForEvents(1, 15_000);
    witness.close();
    expect((await drawnCalls()).filter((call) => !call.hidden).map((call) => call.callId)).toEqual([callId]);

    await page.click("#scope button");
    await page.waitForSelector("#scope", { state: "hidden", ...timeout });
    await page.waitForFunction(() => document.querySelectorAll(".call:not([hidden])").length >= 2, undefined, timeout);
    expect([await page.textContent("#stream-transport"), await page.textContent("#stream-url")]).toEqual(["WebSocket", "/events?include=llm.tool_result"]);
    await expectCallsDrawnAsScripted();
  });


  it("shows reconnecting while the server is down, connected when it is back, and rebuilds from the new server's history", async () => {
    await demo.stop();
    await statusIs("reconnecting");
    demo = await startExample("express-dashboard", { port: demo.port });
    await statusIs("connected");
    // The new process has a new history: the page is told (a gap), says so, and redraws from it.
    await page.waitForFunction(() => document.body.dataset.gaps === "1", undefined, timeout);
    expect(await page.isVisible("#notice")).toBe(true);
    // The gap says why, and so does the notice: an id of the earlier run is a `reset`.
    expect([await page.getAttribute("body", "data-gap-reason"), await page.textContent("#notice .message")]).toEqual(["reset", expect.stringMatching(/^The server restarted/)]);
    // Its agent starts the script over: the first round's calls have no `_rN` suffix.
    await page.waitForSelector('.call[data-call-id="CA_1001"][data-state="ended"]', timeout);
    const calls = await expectCallsDrawnAsScripted();
    expect(calls.find((call) => call.callId === "CA_1001")).toEqual({ ...correctDrawings("CA_1001").at(-1), hidden: false });
    expect(pageErrors).toEqual([]);
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

  const statusIs = (page: Page, status: string) =>
    page.waitForFunction((wanted) => document.querySelector<HTMLElement>("#status")?.dataset.status === wanted, status, timeout);
  const drawnWhile = async (page: Page, account: string): Promise<Drawn[]> =>
    (await page.evaluate(() => (window as unknown as { drawn: Drawn[] }).drawn)).filter((drawn) => drawn.account === account);

  /** Waits until a call of `org` that starts from now on (the witness sees it) is drawn ended on `page`, as scripted. */
  async function aNewCallPlaysOut(page: Page, org: string): Promise<string> {
    const from = witness.events.length;
    const started = () => witness.events.slice(from).find((event) => event.event === "call.started" && event.orgId === org);
    await until(() => started() !== undefined, `a call of ${org} to start`, 20_000);
    const callId = started()!.callId as string;
    await page.waitForSelector(`.call[data-call-id="${callId}"][data-state="ended"]`, timeout);
    const card = await page.$eval(`.call[data-call-id="${callId}"]`, (element) => ({
      org: element.querySelector(".org")!.textContent,
      callerLines: [...element.querySelectorAll(".line.caller .text")].map((line) => line.textContent),
      words: element.querySelectorAll(".word").length,
    }));
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
      await second.waitForFunction(() => document.querySelector("#signed-in-as")?.textContent === "Signed in as Globex.", undefined, timeout);
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
    const badgeIs = (status: string) => page.waitForSelector(`.badge[data-status="${status}"]`, timeout);

    // WebSocket first, on a server that has served no API request yet: the page's render claimed the path.
    await badgeIs("connected");
    await page.waitForSelector('.call[data-state="live"] .line.bot', timeout);
    await page.waitForSelector(".tool .result:not(.pending)", timeout);

    await page.click('button[data-transport="sse"]');
    expect(await page.getAttribute('button[data-transport="sse"]', "aria-pressed")).toBe("true");
    await badgeIs("connected");
    const live = await page.waitForSelector('.call[data-state="live"]', timeout);
    const callId = (await live.getAttribute("data-call-id"))!;
    await live.click();
    await page.waitForSelector(`.call[data-call-id="${callId}"][data-state="ended"]`, timeout);
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

import { SseClient, TcpProxy, until } from "@eventwire/conformance";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchChromium, skipBrowserTests } from "../src/browser.js";
import { dashboardPage, drawnCalls, pageDeadlineMs, recordWordsDrawn, samePlace, statusIs, untilWordDrawn, type DashboardPage } from "../src/dashboard-page.js";
import { startExample, stopAllExamples, type ExampleProcess } from "../src/example-process.js";
import { correctDrawings, type DrawnCall } from "../src/expected-calls.js";
import { signInCookie } from "../src/sign-in.js";

/**
 * The live call monitor (examples/express-dashboard) catching up, in headless Chromium: opened in
 * the middle of calls it draws them from their start with every word said so far (a late join,
 * `from: "earliest"`), and back after a long disconnect it gets the words it missed compacted into
 * a few events (`compact: { "bot.word": mergeWords }`), drawing each of them once
 * (docs/protocol.md#resume). The browser reaches the server through a TCP relay that the test cuts.
 */
type WireEvent = Record<string, unknown> & { event: string };

const isWord = (event: Record<string, unknown>) => event.event === "bot.word";
/** The memory bus's ids are `<run>-<seq>`: their order is their seq's. */
const seqOf = (id: unknown) => Number(String(id).slice(String(id).lastIndexOf("-") + 1));

/** The calls `events` (a stream from the earliest retained event) show in progress: call id → how many of its events so far. */
function callsInProgress(events: WireEvent[]): Map<string, number> {
  const calls = new Map<string, number>();
  for (const event of events) {
    const callId = event.callId as string | undefined;
    if (callId === undefined) continue;
    if (event.event === "call.started") calls.set(callId, 1);
    else if (event.event === "call.ended") calls.delete(callId);
    else if (calls.has(callId)) calls.set(callId, calls.get(callId)! + 1);
  }
  return calls;
}

/**
 * What a replay of `events` is sent as with the dashboard's compaction (docs/protocol.md#resume,
 * "Replay compaction"): each run of `bot.word`s of one call sent back to back, nothing else between
 * them on the stream, as one event with the run's last id and its `words`.
 */
function compacted(events: WireEvent[]): WireEvent[] {
  const sent: WireEvent[] = [];
  let run: WireEvent[] = [];
  const endRun = () => {
    if (run.length === 1) sent.push(run[0]!);
    else if (run.length > 1) sent.push({ ...run[0]!, id: run.at(-1)!.id, words: run.map((word) => word.word) });
    run = [];
  };
  for (const event of events) {
    if (isWord(event) && (run.length === 0 || run[0]!.callId === event.callId)) run.push(event);
    else {
      endRun();
      if (isWord(event)) run.push(event);
      else sent.push(event);
    }
  }
  endRun();
  return sent;
}

describe.skipIf(skipBrowserTests)("the live call monitor catching up in headless Chromium", () => {
  let demo: ExampleProcess;
  let proxy: TcpProxy;
  let browser: Browser;
  /** This test's page, signed in as the operator (who watches every customer's calls), in a context of its own. */
  let dashboard: DashboardPage;
  let page: Page;
  /** Every event this test's page's WebSockets received, in order. */
  let received: WireEvent[];
  /** The operator's sign-in, for the witnesses. */
  let operator: { cookie: string };

  beforeAll(async () => {
    demo = await startExample("express-dashboard");
    proxy = new TcpProxy(demo.port);
    await proxy.start();
    browser = await launchChromium();
    operator = await signInCookie(demo.origin, "operator");
  });

  beforeEach(async () => {
    dashboard = await dashboardPage(browser, demo.origin);
    page = dashboard.page;
    const frames: WireEvent[] = (received = []);
    page.on("websocket", (socket) =>
      socket.on("framereceived", ({ payload }) => {
        for (const line of String(payload).split("\n")) if (line.trim() !== "") frames.push(JSON.parse(line) as WireEvent);
      }),
    );
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
  async function expectCallsDrawnAsScripted(calls?: (DrawnCall & { hidden: boolean })[]) {
    calls ??= await drawnCalls(page);
    expect(calls.length).toBeGreaterThan(0);
    for (const { hidden: _hidden, ...call } of calls) expect(correctDrawings(call.callId)).toContainEqual(call);
    return calls;
  }

  it("opened mid-call, draws the calls in progress from their start with every word said so far, and no gap", async () => {
    // What the hub holds, read straight from the server, until a call is in the middle of a reply.
    const history = await SseClient.open(`${demo.origin}/events?include=llm.tool_result&lastEventId=earliest`, operator);
    let soFar: WireEvent[] = [];
    let inProgress = new Map<string, number>();
    try {
      await until(
        () => {
          soFar = history.events as WireEvent[];
          inProgress = callsInProgress(soFar);
          return [...inProgress.keys()].some((callId) => soFar.filter((event) => isWord(event) && event.callId === callId).length >= 3);
        },
        "a call to be three words into a reply",
        20_000,
      );
    } finally {
      history.close();
    }
    const wordsSoFar = Object.fromEntries([...inProgress.keys()].map((callId) => [callId, soFar.filter((event) => isWord(event) && event.callId === callId).length]));

    await page.goto(`http://127.0.0.1:${proxy.port}/`);
    // Every call in progress when the page opened is drawn, with at least every word it had said:
    // the board read in one turn of the page, and checked as it stood then.
    let calls: (DrawnCall & { hidden: boolean })[] = [];
    await until(
      async () => {
        calls = await drawnCalls(page);
        return Object.entries(wordsSoFar).every(([callId, count]) => calls.some((call) => call.callId === callId && call.replies.flatMap((reply) => reply.words).length >= count));
      },
      `the calls in progress when the page opened (${Object.keys(wordsSoFar).join(", ")}) drawn with every word they had said`,
      pageDeadlineMs,
    );
    await expectCallsDrawnAsScripted(calls);
    for (const [callId, count] of inProgress) {
      const { hidden: _hidden, ...drawn } = calls.find((call) => call.callId === callId)!;
      // Drawn from its `call.started`, as its script says after at least the events it had when the page opened.
      expect(correctDrawings(callId).slice(count - 1)).toContainEqual(drawn);
    }
    expect([await page.getAttribute("body", "data-gaps"), await page.getAttribute("body", "data-gap-reason"), await page.isVisible("#notice")]).toEqual(["0", null, false]);
    // The page asked for the earliest retained event, not for an id of its own.
    expect(received.some((event) => event.event === "gap")).toBe(false);
    expect(dashboard.errors).toEqual([]);
  });

  it("back after a long disconnect, catches up on hundreds of words with the runs of each call merged, drawing each word once", async () => {
    await page.goto(`http://127.0.0.1:${proxy.port}/`);
    await statusIs(page, "connected");
    // A second client, straight to the server, sees what the agent says during the outage.
    const witness = await SseClient.open(`${demo.origin}/events?include=llm.tool_result`, operator);
    await proxy.stop();
    await statusIs(page, "reconnecting");
    await recordWordsDrawn(page);
    const before = witness.events.length;
    await until(() => witness.events.slice(before).filter(isWord).length >= 300, "the agent to speak 300 words during the outage", 60_000);
    const missed = witness.events.slice(before) as WireEvent[];
    const receivedBefore = received.length;
    await proxy.start();
    await statusIs(page, "connected");
    const missedWords = missed.filter(isWord).map((event) => ({ callId: event.callId as string, turn: event.turn as number, index: event.index as number, word: event.word as string }));
    const drawn = await untilWordDrawn(page, missedWords.at(-1)!, "the last word the page missed");

    // The replay: what the page received after the reconnect, through the first event that covers
    // the last one it missed (a merged run carries its last word's id, and the run that holds the
    // last missed word may go on past it: the agent kept talking until the page was back). It is
    // exactly what the page missed (what the witness saw after the page's last event), each run of
    // one call's words that went out back to back merged into one event.
    const resumedAfter = seqOf(received.slice(0, receivedBefore).findLast((event) => event.id !== undefined)!.id);
    const lastMissed = seqOf(missed.at(-1)!.id);
    const covering = () => received.slice(receivedBefore).find((event) => event.id !== undefined && seqOf(event.id) >= lastMissed);
    await until(() => covering() !== undefined, "the page to receive the event that covers the last one it missed", 10_000);
    const through = seqOf(covering()!.id);
    await until(() => witness.events.some((event) => event.id !== undefined && seqOf(event.id) >= through), "the witness to see the replay's last event", 10_000);
    witness.close();
    const inRange = (event: WireEvent) => event.id !== undefined && seqOf(event.id) > resumedAfter && seqOf(event.id) <= through;
    const replay = received.slice(receivedBefore).filter(inRange);
    const expected = compacted((witness.events as WireEvent[]).filter(inRange));
    const summary = (event: WireEvent) => ({ id: event.id, event: event.event, words: event.words ?? (isWord(event) ? [event.word] : undefined) });
    expect(replay.map(summary)).toEqual(expected.map(summary));
    const words = expected.filter(isWord).reduce((sum, event) => sum + ((event.words as string[] | undefined)?.length ?? 1), 0);
    const wordEvents = replay.filter(isWord).length;
    console.log(`catch-up after the outage: ${words} words replayed as ${wordEvents} bot.word events (${replay.length} events in all, ${replay.filter((event) => event.words !== undefined).length} of them merged runs)`);
    expect(words).toBeGreaterThanOrEqual(300);
    // Fewer events than words, though three calls talk at once: a run ends where another call's
    // event (or a session-less one) went out between two words, so that a resume from that event's
    // id cannot skip the run's first words.
    expect(wordEvents).toBeLessThan(words);

    // Nothing lost or doubled: each call on screen as scripted, each missed word drawn once at its
    // place (as it was drawn: the board may have dropped its card since, for newer calls).
    await expectCallsDrawnAsScripted();
    expect(missedWords.map((word) => drawn.filter((other) => samePlace(other, word)))).toEqual(missedWords.map((word) => [word]));
    expect([await page.getAttribute("body", "data-gaps"), dashboard.errors]).toEqual(["0", []]);
  });
});

import { SseClient, until } from "@eventwire/conformance";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, skipBrowserTests } from "../src/browser.js";
import { startExample, stopAllExamples, type ExampleProcess } from "../src/example-process.js";
import { correctDrawings, formatFields, type DrawnCall } from "../src/expected-calls.js";

/**
 * The Pages-router example (examples/next-pages) rendered on the server: `getServerSideProps`
 * renders the calls so far and hands the page `await hub.cursor()`, and the page's
 * `useEventStream` continues from that id (docs/protocol.md#resume, "Late join"). The rendered
 * calls are checked against the hub's own history up to the cursor, and the page in headless
 * Chromium against the agent's script, word for word: nothing lost, nothing repeated.
 */
const timeout = { timeout: 20_000 };

/** A call as the server renders it (the page's props, `lib/calls.ts`). */
interface RenderedCall {
  callId: string;
  from: string;
  agent: string;
  live: boolean;
  lines: (
    | { kind: "caller"; text: string }
    | { kind: "tool"; name: string; result?: unknown; answered: boolean }
    | { kind: "bot"; turn: number; words: string[] }
  )[];
}
interface Props {
  calls: RenderedCall[];
  cursor: string;
}

/** The page's props, from the `__NEXT_DATA__` script of its server-rendered HTML. */
function propsOf(html: string): Props {
  const data = /<script id="__NEXT_DATA__" type="application\/json">(.*?)<\/script>/s.exec(html);
  if (!data) throw new Error(`no __NEXT_DATA__ in the page:\n${html.slice(0, 500)}`);
  return (JSON.parse(data[1]!) as { props: { pageProps: Props } }).props.pageProps;
}

/** A call as this page draws it: the dashboard's form, without the customer (this page does not show it). */
type PageCall = Omit<DrawnCall, "org">;
/** The correct drawings of `callId` (see `correctDrawings`), in this page's form. */
const correctCalls = (callId: string): PageCall[] => correctDrawings(callId).map(({ org: _org, ...call }) => call);

/** A rendered call, in the form `correctCalls` lists. */
const asDrawn = (call: RenderedCall): PageCall => ({
  callId: call.callId,
  state: call.live ? "live" : "ended",
  agent: call.agent,
  from: call.from,
  callerLines: call.lines.flatMap((line) => (line.kind === "caller" ? [line.text] : [])),
  tools: call.lines.flatMap((line) => (line.kind === "tool" ? [{ name: line.name, result: line.answered ? formatFields(line.result) : null }] : [])),
  replies: call.lines.flatMap((line) => (line.kind === "bot" ? [{ turn: line.turn, words: line.words }] : [])),
  anomaly: false,
});

/** Every call card on the page, as drawn, in the same form. */
const drawnCalls = (page: Page): Promise<PageCall[]> =>
  page.$$eval(".call", (cards) =>
    (cards as HTMLElement[]).map((card) => ({
      callId: card.dataset.callId!,
      state: card.dataset.state!,
      agent: card.querySelector(".who strong")!.textContent!,
      from: card.querySelector(".route")!.textContent!,
      callerLines: [...card.querySelectorAll(".line.caller")].map((line) => line.textContent!),
      tools: [...card.querySelectorAll(".tool")].map((tool) => ({
        name: tool.querySelector(".tool-name")!.textContent!,
        result: tool.querySelector(".result.pending") ? null : tool.querySelector(".result")!.textContent!.replace(/^→ /, ""),
      })),
      replies: [...card.querySelectorAll<HTMLElement>(".line.bot")].map((line) => ({ turn: Number(line.dataset.turn), words: line.textContent!.split(" ") })),
      anomaly: false,
    })),
  );

/** The memory bus's ids are `<run>-<seq>`: their order is their seq's. */
const seqOf = (id: unknown) => Number(String(id).slice(String(id).lastIndexOf("-") + 1));

describe.skipIf(skipBrowserTests)("the Next.js Pages example rendered on the server, continued from hub.cursor() in headless Chromium", () => {
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

  /** The server-rendered page once it shows a call in the middle of a reply. */
  async function renderMidCall(): Promise<{ html: string; props: Props }> {
    let rendered: { html: string; props: Props } | undefined;
    await until(
      async () => {
        const html = await (await fetch(`${app.origin}/`)).text();
        const props = propsOf(html);
        rendered = { html, props };
        return props.calls.some((call) => call.live && call.lines.some((line) => line.kind === "bot"));
      },
      "the server to render a call in the middle of a reply",
      20_000,
    );
    return rendered!;
  }

  it("renders the calls so far in the HTML, exactly as the hub's history stands at the cursor it hands the page", async () => {
    // The hub's history, from the earliest retained event, read alongside the renders.
    const history = await SseClient.open(`${app.origin}/api/events?include=llm.tool_result&lastEventId=earliest`);
    try {
      // Renders until one falls between two events of the calls it shows, where a cursor one off
      // either way would show (the event before it drawn but replayed again, or the one after it lost).
      const deadline = Date.now() + 30_000;
      for (let sensitive = false; !sensitive; ) {
        if (Date.now() > deadline) throw new Error("no render fell between two events of the calls it showed in 30 s");
        const { html, props } = await renderMidCall();
        // In the HTML itself, before any script runs: a card per call.
        expect(html.match(/<article class="call"/g)?.length).toBe(props.calls.length);
        for (const call of props.calls) expect(html).toContain(`data-call-id="${call.callId}"`);

        await until(() => history.events.some((event) => seqOf(event.id) > seqOf(props.cursor)), "an event after the cursor", 20_000);
        const events = history.events;
        const upToCursor = events.filter((event) => seqOf(event.id) <= seqOf(props.cursor));
        // The cursor is the newest id when the page was rendered...
        expect(upToCursor.at(-1)!.id).toBe(props.cursor);
        // ...and the rendered calls are those events, folded: the calls started last, newest first,
        // each as its script says after its events up to the cursor.
        const started = upToCursor.filter((event) => event.event === "call.started").map((event) => event.callId as string);
        expect(props.calls.map((call) => call.callId)).toEqual(started.reverse().slice(0, 6));
        for (const call of props.calls) {
          const count = upToCursor.filter((event) => event.callId === call.callId).length;
          expect(asDrawn(call)).toEqual(correctCalls(call.callId)[count - 1]);
        }
        const shown = (event: Record<string, unknown> | undefined) => props.calls.some((call) => call.callId === event?.callId);
        sensitive = shown(upToCursor.at(-1)) && shown(events.find((event) => seqOf(event.id) === seqOf(props.cursor) + 1));
      }
    } finally {
      history.close();
    }
  });

  it("continues in the browser from the cursor: every call word for word as scripted, nothing lost, nothing repeated", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    const sockets: string[] = [];
    /** Every message the page's stream received. */
    const received: Record<string, unknown>[] = [];
    page.on("websocket", (socket) => {
      sockets.push(socket.url());
      socket.on("framereceived", ({ payload }) => {
        for (const line of String(payload).split("\n")) if (line.trim() !== "") received.push(JSON.parse(line) as Record<string, unknown>);
      });
    });

    await renderMidCall(); // a moment when a call is mid-reply (the next render is right after it)
    await page.goto(`${app.origin}/`);
    const props = await page.evaluate(() => (JSON.parse(document.getElementById("__NEXT_DATA__")!.textContent!) as { props: { pageProps: unknown } }).props.pageProps as Props);
    await page.waitForSelector('.badge[data-status="connected"]', timeout);
    // The stream asked to continue right after the rendered moment.
    expect(sockets.map((url) => new URL(url).searchParams.get("lastEventId"))).toEqual([props.cursor]);

    // Each call live when the page was rendered plays out to its end on the page, whole.
    const live = props.calls.filter((call) => call.live).map((call) => call.callId);
    expect(live.length).toBeGreaterThan(0);
    for (const callId of live) await page.waitForSelector(`.call[data-call-id="${callId}"][data-state="ended"]`, timeout);
    const calls = await drawnCalls(page);
    for (const callId of live) expect(calls.find((call) => call.callId === callId)).toEqual(correctCalls(callId).at(-1));
    // And every other card is as its script says so far.
    for (const call of calls) expect(correctCalls(call.callId)).toContainEqual(call);
    // On the wire: no gap, and the ids the stream delivered follow the cursor one by one (the page
    // sees every event, and the bus numbers them all in one sequence).
    expect(received.filter((message) => message.id === undefined && message.event !== "pong")).toEqual([]);
    const seqs = received.filter((message) => message.id !== undefined).map((message) => seqOf(message.id));
    expect(seqs).toEqual(seqs.map((_, index) => seqOf(props.cursor) + 1 + index));
    expect(errors).toEqual([]);
    await page.close();
  });
});

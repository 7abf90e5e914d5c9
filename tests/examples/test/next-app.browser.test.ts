import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, skipBrowserTests } from "../src/browser.js";
import { startExample, stopAllExamples, type ExampleProcess } from "../src/example-process.js";
import { correctDrawings } from "../src/expected-calls.js";

/**
 * The App-router example (examples/next-app), started with `npm start` as a user would, in headless
 * Chromium: its client component reads app/api/events/route.ts over SSE with `useEventStream`, and
 * draws each call word for word as the agent's script says.
 */
const timeout = { timeout: 20_000 };

describe.skipIf(skipBrowserTests)("the Next.js App-router example's page (useEventStream over SSE) in headless Chromium", () => {
  let app: ExampleProcess;
  let browser: Browser;

  beforeAll(async () => {
    app = await startExample("next-app");
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stopAllExamples();
  });

  it("renders a whole call from the route handler's SSE stream, word for word as scripted", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const streams: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/api/events") streams.push(request.headers().accept ?? "");
    });
    await page.goto(`${app.origin}/`);

    await page.waitForSelector('.badge[data-status="connected"]', timeout);
    // A call live when the page opens (drawn from its start, out of the history the page asks for) that ends: drawn whole.
    const live = await page.waitForSelector('.call[data-state="live"]', timeout);
    const callId = (await live.getAttribute("data-call-id"))!;
    await page.waitForSelector(`.call[data-call-id="${callId}"][data-state="ended"]`, timeout);
    const drawn = await page.$eval(`.call[data-call-id="${callId}"]`, (card) => ({
      callerLines: [...card.querySelectorAll(".line.caller")].map((line) => line.textContent),
      tools: [...card.querySelectorAll(".tool .tool-name")].map((name) => name.textContent),
      replies: [...card.querySelectorAll<HTMLElement>(".line.bot")].map((line) => ({ turn: Number(line.dataset.turn), words: line.textContent!.split(" ") })),
    }));
    const { callerLines, tools, replies } = correctDrawings(callId).at(-1)!;
    expect(drawn).toEqual({ callerLines, tools: tools.map((tool) => tool.name), replies });
    // One SSE stream, opened once: the page never fell back to anything else.
    expect(streams).toEqual(["text/event-stream"]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

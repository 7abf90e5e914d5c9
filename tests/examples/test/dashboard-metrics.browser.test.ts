import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, skipBrowserTests } from "../src/browser.js";
import { startExample, stopAllExamples, type ExampleProcess } from "../src/example-process.js";
import { signInBrowser } from "../src/sign-in.js";

/**
 * The live call monitor's metrics panel: the hub's own OpenTelemetry metrics (GET /metrics.json)
 * drawn on the page. This page is the only client of its server, so what the panel must say about
 * streams and resumes is known exactly.
 */
const timeout = { timeout: 20_000 };

describe.skipIf(skipBrowserTests)("the live call monitor's metrics panel in headless Chromium", () => {
  let demo: ExampleProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    demo = await startExample("express-dashboard");
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signInBrowser(page.context(), demo.origin, "operator"); // who may watch every customer's calls
    await page.goto(`${demo.origin}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await stopAllExamples();
  });

  const metric = (name: string) => page.textContent(`#hub-metrics [data-metric="${name}"]`);
  const metricIs = (name: string, wanted: string) =>
    page.waitForFunction(
      ({ name, wanted }) => document.querySelector(`#hub-metrics [data-metric="${name}"]`)?.textContent === wanted,
      { name, wanted },
      timeout,
    );

  it("shows this page's stream, the agent's events per second and no drops", async () => {
    await metricIs("connections-detail", "1 WebSocket · 0 SSE");
    expect(await metric("connections")).toBe("1");
    // The agent talks all the time: once two polls are in, the rate is a positive number.
    await page.waitForFunction(() => Number(document.querySelector('#hub-metrics [data-metric="rate"]')?.textContent) > 0, undefined, timeout);
    await page.waitForFunction(() => document.querySelectorAll("#hub-metrics .sparkline i").length >= 2, undefined, timeout);
    expect(await metric("dropped")).toBe("0");
    expect(await metric("lag")).toMatch(/^(<1|\d+) ms$/);
    // What the page says is what the server answers.
    const summary = (await (await fetch(`${demo.origin}/metrics.json`)).json()) as { connections: unknown; dropped: number };
    expect(summary).toMatchObject({ connections: { websocket: 1, sse: 0 }, dropped: 0 });
    await page.screenshot({ path: resolve(import.meta.dirname, "../test-results/dashboard-metrics.png") });
  });

  it("counts the switch to SSE as one more exact resume, on the other transport", async () => {
    const resumesBefore = (await metric("resumes-detail"))!;
    const [exact, gap] = resumesBefore.match(/\d+/g)!.map(Number);
    await page.click('#transport button[data-transport="sse"]');
    await metricIs("connections-detail", "0 WebSocket · 1 SSE");
    await metricIs("resumes-detail", `${exact! + 1} exact · ${gap} with a gap`);
  });
});

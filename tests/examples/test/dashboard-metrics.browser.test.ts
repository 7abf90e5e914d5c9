import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchChromium, skipBrowserTests } from "../src/browser.js";
import { dashboardPage, pageDeadlineMs, statusIs, waitInPage, type DashboardPage } from "../src/dashboard-page.js";
import { startExample, stopAllExamples, type ExampleProcess } from "../src/example-process.js";

/**
 * The live call monitor's metrics panel: the hub's own OpenTelemetry metrics (GET /metrics.json)
 * drawn on the page. Each test's page (a context of its own) is the only client of its server once
 * the previous test's has gone, so what the panel must say about streams and resumes is known exactly.
 */

describe.skipIf(skipBrowserTests)("the live call monitor's metrics panel in headless Chromium", () => {
  let demo: ExampleProcess;
  let browser: Browser;
  let dashboard: DashboardPage;
  let page: Page;

  beforeAll(async () => {
    demo = await startExample("express-dashboard");
    browser = await launchChromium();
  });

  beforeEach(async () => {
    dashboard = await dashboardPage(browser, demo.origin); // the operator, who may watch every customer's calls
    page = dashboard.page;
    await page.goto(`${demo.origin}/`);
  });

  afterEach(async () => {
    await dashboard?.context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await stopAllExamples();
  });

  const metric = (name: string) => page.textContent(`#hub-metrics [data-metric="${name}"]`);
  const metricIs = (name: string, wanted: string) =>
    waitInPage(
      page,
      `the panel's ${name} to read "${wanted}"`,
      ({ name, wanted }) => document.querySelector(`#hub-metrics [data-metric="${name}"]`)?.textContent === wanted,
      { name, wanted },
    );

  it("shows this page's stream, the agent's events per second and no drops", async () => {
    await metricIs("connections-detail", "1 WebSocket · 0 SSE");
    expect(await metric("connections")).toBe("1");
    // The agent talks all the time: once two polls are in, the rate is a positive number.
    await waitInPage(page, "a positive rate of events", () => Number(document.querySelector('#hub-metrics [data-metric="rate"]')?.textContent) > 0, undefined);
    await waitInPage(page, "two bars of the sparkline", () => document.querySelectorAll("#hub-metrics .sparkline i").length >= 2, undefined);
    expect(await metric("dropped")).toBe("0");
    expect(await metric("lag")).toMatch(/^(<1|\d+) ms$/);
    // What the page says is what the server answers.
    const summary = (await (await fetch(`${demo.origin}/metrics.json`)).json()) as { connections: unknown; dropped: number };
    expect(summary).toMatchObject({ connections: { websocket: 1, sse: 0 }, dropped: 0 });
    await page.screenshot({ path: resolve(import.meta.dirname, "../test-results/dashboard-metrics.png") });
    expect(dashboard.errors).toEqual([]);
  });

  it("counts the switch to SSE as one more exact resume, on the other transport", async () => {
    // Figures of a poll sent after this page's stream opened (its opening from the earliest event
    // counted), of this page's stream alone (the previous test's page has gone).
    await statusIs(page, "connected");
    await page.evaluate(
      (deadline) =>
        new Promise<void>((resolveRenders, reject) => {
          let renders = 0;
          const observer = new MutationObserver(() => {
            if (++renders === 2) resolveRenders(observer.disconnect());
          });
          observer.observe(document.querySelector('#hub-metrics [data-metric="resumes-detail"]')!, { childList: true, characterData: true, subtree: true });
          setTimeout(() => reject(new Error(`timed out after ${deadline} ms waiting for two renders of the metrics panel`)), deadline);
        }),
      pageDeadlineMs,
    );
    await metricIs("connections-detail", "1 WebSocket · 0 SSE");
    const resumesBefore = (await metric("resumes-detail"))!;
    const [exact, gap] = resumesBefore.match(/\d+/g)!.map(Number);
    await page.click('#transport button[data-transport="sse"]');
    await metricIs("connections-detail", "0 WebSocket · 1 SSE");
    await metricIs("resumes-detail", `${exact! + 1} exact · ${gap} with a gap`);
    expect(dashboard.errors).toEqual([]);
  });
});

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { buildClient, type ClientBuild } from "../helpers/build-client.js";
import { startHubServer, type HubServer } from "../helpers/hub-server.js";
import { waitFor } from "../helpers/wait-for.js";
import { createPageAssets } from "./page-assets.js";

/**
 * The client in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), loading the client as tsc built it, as plain ES modules, from a page served by the
 * test's own node:http server, which also runs a core hub on /events.
 */
const executablePath = "/usr/bin/chromium";
const launchArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

const haveBrowser = existsSync(executablePath);
if (!haveBrowser && !process.env.CI) {
  console.warn(
    `\n!!! SKIPPING the browser tests of @eventwire/client: ${executablePath} is missing.\n` +
      "!!! Install it with: apt-get update && apt-get install -y chromium   (with CI set, this is a failure)\n",
  );
}

describe.skipIf(!haveBrowser && !process.env.CI)("in headless Chromium", () => {
  let build: ClientBuild;
  let server: HubServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!haveBrowser) throw new Error(`CI is set but ${executablePath} is missing: apt-get install -y chromium`);
    build = await buildClient();
    // A 10-minute SSE retry: hint, so only maxDelayMs (500 ms on most pages) or the browser's
    // online event can make an SSE reconnect quick.
    server = await startHubServer({ retryMs: 600_000, serveOther: createPageAssets(build.dist) });
    browser = await chromium.launch({ executablePath, args: launchArgs, headless: true });
  }, 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await build?.remove();
  });

  const newContext = async (): Promise<BrowserContext> => {
    const context = await browser.newContext();
    contexts.push(context);
    return context;
  };

  /** Uncaught errors of each page: none are expected, except the throwing listener's. */
  const pageErrors = new Map<Page, string[]>();
  const open = async (context: BrowserContext, path: string): Promise<Page> => {
    const page = await context.newPage();
    const errors: string[] = [];
    pageErrors.set(page, errors);
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${server.port}${path}`);
    return page;
  };

  const ticks = (page: Page, transport: string) =>
    page.$$eval(`#${transport} li`, (items) => items.map((item) => Number(item.textContent)));
  const status = (page: Page, transport: string) => page.textContent(`#${transport} .status`);
  const statusIs = (page: Page, transport: string, wanted: string) =>
    page.waitForFunction(
      ([t, w]) => document.querySelector(`#${t} .status`)?.textContent === w,
      [transport, wanted] as const,
      { timeout: 15_000 },
    );
  const countIs = (page: Page, transport: string, count: number) =>
    page.waitForFunction(([t, c]) => document.querySelectorAll(`#${t} li`).length >= c, [transport, count] as const, {
      timeout: 15_000,
    });

  let next = 0;
  const publishTicks = async (count: number): Promise<number[]> => {
    const published: number[] = [];
    for (let i = 0; i < count; i++) {
      published.push(next);
      await server.hub.publish({ event: "tick", n: next++ });
    }
    return published;
  };

  it("connects over both transports, renders events, and survives a server restart with none lost or doubled", async () => {
    const page = await open(await newContext(), "/?throwing=1");
    await statusIs(page, "websocket", "connected");
    await statusIs(page, "sse", "connected");
    const first = next;
    await publishTicks(5);
    await countIs(page, "websocket", 5);
    await countIs(page, "sse", 5);

    // Stop the hub's server; events keep being published; a new server starts on the same port.
    await server.stop();
    await statusIs(page, "websocket", "reconnecting");
    await statusIs(page, "sse", "reconnecting");
    await publishTicks(5);
    await server.start();
    await publishTicks(5);
    await countIs(page, "websocket", 15);
    await countIs(page, "sse", 15);

    const expected = Array.from({ length: 15 }, (_, i) => first + i);
    expect(await ticks(page, "websocket")).toEqual(expected);
    expect(await ticks(page, "sse")).toEqual(expected);
    expect(await status(page, "websocket")).toBe("connected");
    expect(await status(page, "sse")).toBe("connected");
    // The throwing listener was reported (reportError) once per event, without stopping delivery.
    const errors = await page.evaluate(() => (window as unknown as { errors: string[] }).errors);
    expect(errors).toHaveLength(30);
    expect(errors[0]).toContain("listener bug");
    expect(new Set(pageErrors.get(page))).toEqual(new Set(["listener bug"]));
    await page.close();
  });

  it("reconnects at once when the browser comes back online, instead of waiting out the backoff", async () => {
    const context = await newContext();
    // Pin the jitter to the top of its range: the backoff is then 10 minutes.
    await context.addInitScript(() => {
      Math.random = () => 0.999;
    });
    const page = await open(context, "/?transports=websocket,sse&initialDelayMs=600000&maxDelayMs=600000");
    await statusIs(page, "websocket", "connected");
    await statusIs(page, "sse", "connected");
    const first = next;
    await publishTicks(2);
    await countIs(page, "sse", 2);
    await countIs(page, "websocket", 2);

    await server.stop();
    await statusIs(page, "websocket", "reconnecting");
    await statusIs(page, "sse", "reconnecting");
    await publishTicks(2);
    await server.start();
    await context.setOffline(true);
    await context.setOffline(false);
    await statusIs(page, "websocket", "connected");
    await statusIs(page, "sse", "connected");
    await countIs(page, "sse", 4);
    await countIs(page, "websocket", 4);
    expect(await ticks(page, "sse")).toEqual([first, first + 1, first + 2, first + 3]);
    expect(await ticks(page, "websocket")).toEqual([first, first + 1, first + 2, first + 3]);
    expect(pageErrors.get(page)).toEqual([]);
    await page.close();
  });

  it.each(["sse", "websocket"])(
    "shares one %s connection between tabs, hands it over when the leading tab closes, and forwards actions",
    async (transport) => {
      server.hub.action("add", (message) => (message.a as number) + (message.b as number));
      const context = await newContext();
      const connections = () => server.hub.stats().connections[transport as "sse" | "websocket"];
      await waitFor(() => connections() === 0, "earlier tests' connections to close");

      const leader = await open(context, `/?transports=${transport}&share=1`);
      await statusIs(leader, transport, "connected");
      const follower = await open(context, `/?transports=${transport}&share=1`);
      await statusIs(follower, transport, "connected");
      expect(connections()).toBe(1);

      const first = next;
      await publishTicks(3);
      await countIs(leader, transport, 3);
      await countIs(follower, transport, 3);
      expect(connections()).toBe(1);

      if (transport === "websocket") {
        // The follower's action goes through the leader's socket; only the follower gets the answer.
        const result = await follower.evaluate(() =>
          (window as unknown as { streams: Record<string, { send(m: object): Promise<unknown> }> }).streams.websocket!.send({
            action: "add",
            a: 2,
            b: 3,
          }),
        );
        expect(result).toBe(5);
      }

      await leader.close();
      await publishTicks(3);
      await countIs(follower, transport, 6);
      await waitFor(() => connections() === 1, "the follower to hold the one connection");
      await publishTicks(1);
      await countIs(follower, transport, 7);
      expect(await ticks(follower, transport)).toEqual(Array.from({ length: 7 }, (_, i) => first + i));
      expect(await status(follower, transport)).toBe("connected");
      expect([pageErrors.get(leader), pageErrors.get(follower)]).toEqual([[], []]);
      await follower.close();
      await waitFor(() => connections() === 0, "the last tab's connection to close");
    },
  );

  it("runs the seeds' live call monitor on useEventStream, reducing each event exactly once under StrictMode", async () => {
    const page = await open(await newContext(), "/react.html");
    await statusIs(page, "websocket", "connected");
    await statusIs(page, "sse", "connected");
    // StrictMode opened, closed and reopened each stream: one connection per transport is left.
    await waitFor(
      () => server.hub.stats().connections.sse === 1 && server.hub.stats().connections.websocket === 1,
      "one connection per transport",
    );

    const hub = server.hub;
    await hub.publish({ event: "call.started", callId: "CA_1", from: "+1234" });
    await hub.publish({ event: "call.started", callId: "CA_2", from: "+5678" });
    await hub.publish({ event: "bot.word", callId: "CA_1", word: "hello" });
    await hub.publish({ event: "tick", n: -1 }); // filtered out by events: ["call.*", "bot.word"]
    await hub.publish({ event: "bot.word", callId: "CA_1", word: "there" });
    await hub.publish({ event: "bot.word", callId: "CA_2", word: "hi" });
    await hub.publish({ event: "call.ended", callId: "CA_2", reason: "hangup" });

    for (const transport of ["websocket", "sse"]) {
      await page.waitForFunction(
        (t) => document.querySelector(`#${t} h2`)?.textContent?.startsWith("Active calls (1)"),
        transport,
        { timeout: 15_000 },
      );
      expect(await page.$$eval(`#${transport} .call`, (calls) => calls.map((call) => call.textContent))).toEqual([
        "CA_1 +1234: hello there",
      ]);
    }
    // 6 events reach each of the 2 monitors: 12 reductions, not 24.
    expect(await page.evaluate(() => (window as unknown as { reductions: number }).reductions)).toBe(12);
    expect(pageErrors.get(page)).toEqual([]);
    await page.close();
    await waitFor(
      () => server.hub.stats().connections.sse === 0 && server.hub.stats().connections.websocket === 0,
      "closing the tab to close both streams",
    );
  });
});

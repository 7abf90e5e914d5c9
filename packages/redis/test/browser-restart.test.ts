import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HubProcess, type ChildBus, uniqueStream } from "@eventwire/conformance/bus";
import { createHub, type Hub } from "@eventwire/core";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBus } from "../src/index.js";
import { deleteStream, REDIS_URL, runRedisTests } from "./redis-servers.js";

// Chromium's own EventSource and WebSocket, with no client library of ours, across a crash of the
// server process: the hub runs in a child process on a Redis stream; the test SIGKILLs it and starts
// another process on the same port and stream, which resumes from the same history. A graceful
// close is no use here: a 503 while a hub drains makes an EventSource give up for good.
//
// The page opens EventSource on `?lastEventId=<start>`, as a reloaded page would: the browser keeps
// that URL and sends its newer id in `Last-Event-ID` on each automatic reconnect, so the header must
// win over the query (docs/protocol.md, "Resume"). The WebSocket has the reconnect loop a page
// would write: reopen with the last id it received in the URL.

const executablePath = "/usr/bin/chromium";
const launchArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const haveBrowser = existsSync(executablePath);
const stream = uniqueStream("browser_restart");
const bus: ChildBus = { module: new URL("../src/index.ts", import.meta.url).href, export: "redisBus", options: { url: REDIS_URL, stream } };
/** The SSE `retry:` base (the hint is jittered up to twice it), so Chromium comes back quickly. */
const hubOptions = { retryMs: 100 };
/** `EventSource.CONNECTING`: the state of an EventSource waiting to reconnect. */
const connecting = 0;

/** What a page received on one transport: `[id, n]` per tick, and anything that was not a tick. */
interface Received {
  ticks: [string, number][];
  others: string[];
  opens: number;
}
type PageState = { sse: Received; ws: Received; sseReadyState: number };

/** The page: both native clients, from `start` on, into `window.state`. No library, no bundler. */
const pageHtml = (hubUrl: string, start: string) => `<!doctype html>
<meta charset="utf-8"><title>native clients</title>
<script>
const hub = ${JSON.stringify(hubUrl)};
const state = (window.state = { sse: { ticks: [], others: [], opens: 0 }, ws: { ticks: [], others: [], opens: 0 }, sseReadyState: -1 });
const record = (into, data) => {
  const event = JSON.parse(data);
  if (event.event === "tick") into.ticks.push([event.id, event.n]);
  else into.others.push(data);
};

const source = new EventSource(hub + "?lastEventId=" + encodeURIComponent(${JSON.stringify(start)}));
source.onopen = () => state.sse.opens++;
source.onmessage = (message) => record(state.sse, message.data);
setInterval(() => (state.sseReadyState = source.readyState), 10);

let last = ${JSON.stringify(start)};
function connect() {
  const socket = new WebSocket(hub.replace(/^http/, "ws") + "?lastEventId=" + encodeURIComponent(last));
  socket.onopen = () => state.ws.opens++;
  socket.onmessage = (message) => {
    record(state.ws, message.data);
    last = JSON.parse(message.data).id ?? last;
  };
  socket.onclose = () => setTimeout(connect, 100);
}
connect();
</script>`;

/** Polls the page (page.waitForFunction has been seen to hang across a restart) until `check` holds. */
async function untilPage(page: Page, check: (state: PageState) => boolean, what: string, timeoutMs = 15_000): Promise<PageState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await page.evaluate(() => (window as unknown as { state: PageState }).state);
    if (check(state)) return state;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the page has ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(!runRedisTests || (!haveBrowser && !process.env.CI))("Chromium's native EventSource and WebSocket across a server crash", () => {
  const processes: HubProcess[] = [];
  let publisher: Hub;
  let browser: Browser;
  let pages: http.Server;

  beforeAll(async () => {
    if (!haveBrowser) throw new Error(`CI is set but ${executablePath} is missing: apt-get install -y chromium`);
    // The second process is started now, idle, so that the restart only has to open a hub in it.
    // The first one transpiles the sources (cached for the second): one, then the other.
    processes.push(await HubProcess.start(bus.module));
    publisher = createHub({ authorize: true, bus: redisBus({ url: REDIS_URL, stream }) });
    [, browser] = await Promise.all([
      HubProcess.start(bus.module).then((started) => processes.push(started)),
      chromium.launch({ executablePath, args: launchArgs, headless: true }),
      publisher.ready(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
    await Promise.all(processes.map((process) => process.stop()));
    await publisher?.close();
    await deleteStream(stream);
  });

  let n = 0;
  /** Publishes `count` numbered ticks from the test's own hub on the stream; resolves to their ids and numbers. */
  const publish = async (count: number): Promise<[string, number][]> => {
    const published: [string, number][] = [];
    for (let i = 0; i < count; i++) {
      n++;
      published.push([await publisher.publish({ event: "tick", n }), n]);
    }
    return published;
  };

  it("each ends with exactly the published sequence after its starting id: nothing lost, nothing repeated", { timeout: 45_000 }, async () => {
    const [first, second] = processes as [HubProcess, HubProcess];
    const [[start]] = (await publish(1)) as [[string, number]]; // the page resumes after this one
    await first.open(bus, { serve: true, hubOptions });
    const hubUrl = first.url;
    const port = Number(new URL(hubUrl).port);

    // The page comes from an origin of its own (the hub allows any), as an app's pages would.
    pages = http.createServer((_request, response) => response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(pageHtml(hubUrl, start)));
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${(pages.address() as AddressInfo).port}/`);

    const published = await publish(8);
    await untilPage(page, (s) => s.sse.ticks.length >= 8 && s.ws.ticks.length >= 8, "the events published before the crash");

    await first.kill();
    await untilPage(page, (s) => s.sseReadyState === connecting, "the EventSource to notice the crash");
    published.push(...(await publish(8))); // while no server runs
    await second.open(bus, { serve: true, port, hubOptions });
    expect(second.url).toBe(hubUrl);
    published.push(...(await publish(8)));
    // A last tick: both transports deliver in order, so once it is there, any repeat is there too.
    published.push(...(await publish(1)));
    const last = published.at(-1)![1];
    const state = await untilPage(
      page,
      (s) => [s.sse, s.ws].every((received) => received.ticks.some(([, tick]) => tick === last)),
      "every event published before, during and after the restart",
    );

    for (const received of [state.sse, state.ws]) {
      expect(received.ticks).toEqual(published);
      expect(received.others).toEqual([]);
      expect(new Set(received.ticks.map(([id]) => id)).size).toBe(published.length);
    }
    // Both really reconnected to the second process (the EventSource on its own, with Last-Event-ID).
    expect(state.sse.opens).toBe(2);
    expect(state.ws.opens).toBe(2);
    expect(errors).toEqual([]);
    expect(second.logs).toEqual([]);
    await page.close();
  });
});

import { describe, expect, it } from "vitest";
import { openStream, publishAll, transports, withIds, type Harness, type Transport } from "../harness.js";
import type { ServedHub } from "../served-hub.js";
import { until } from "../wait.js";
import { WsClient } from "../ws-client.js";

const pad = "x".repeat(1000);
/** Filling a paused reader's socket buffers takes thousands of events: on a shared bus under load, seconds. */
const slowReaderTimeoutMs = 60_000;

/**
 * docs/protocol.md#load-and-bad-input: a reader whose unsent data passes maxBufferedBytes is closed (WebSocket 1013, SSE ended)
 * and, reconnecting from its last id, gets everything it missed.
 */
export function slowReaderCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe("slow readers", () => {
    it("ends an SSE stream that stops reading, and its resume loses nothing", async () => {
      const served = await harness().serve({ limits: { maxBufferedBytes: 64 * 1024 } });
      const reader = await harness().sse(served.sseUrl());
      const watcher = await openStream(harness(), "sse", served);
      reader.pause();
      const published = await publishUntilClosed(served.hub);
      expect((await served.hub.stats()).events.dropped).toBe(1);
      await watcher.waitForEvents(published.length, 20_000);
      expect(watcher.events).toEqual(published);
      reader.resume();
      await reader.waitForEnd(20_000);
      const got = reader.events;
      expect(got).toEqual(published.slice(0, got.length));
      const last = got.at(-1)?.id as string | undefined;
      const again = await harness().sse(served.sseUrl(last ? `lastEventId=${encodeURIComponent(last)}` : undefined));
      await again.waitForEvents(published.length - got.length, 20_000);
      expect([...got, ...again.events]).toEqual(published);
    }, slowReaderTimeoutMs);

    it.each(offered)("delivers one event larger than maxBufferedBytes to a reader that keeps up (%s)", async (transport) => {
      const served = await harness().serve({ limits: { maxBufferedBytes: 16 * 1024 } });
      const reader = await openStream(harness(), transport, served);
      // 4 MiB: more than the kernel's socket buffers on loopback take at once, so most of it is
      // unsent; less (with room for the bus's own framing) where the bus carries no such event.
      const size = Math.min(4 << 20, harness().maxEventBytes - 4096);
      const events = [{ event: "big", pad: "y".repeat(size) }, { event: "after" }];
      const ids = await publishAll(served.hub, events);
      await reader.waitForEvents(2, 20_000);
      expect(reader.events).toEqual(withIds(events, ids));
      expect((await served.hub.stats()).events.dropped).toBe(0);
    });

    if (offered.includes("websocket")) it("closes a WebSocket that stops reading with 1013, and its resume loses nothing", async () => {
      const served = await harness().serve({ limits: { maxBufferedBytes: 64 * 1024 } });
      const reader = await harness().ws(served.wsUrl());
      const watcher = await openStream(harness(), "websocket", served);
      const raw = (reader.socket as unknown as { _socket: import("node:net").Socket })._socket;
      raw.pause();
      const published = await publishUntilClosed(served.hub);
      expect((await served.hub.stats()).events.dropped).toBe(1);
      await watcher.waitForEvents(published.length, 20_000);
      expect(watcher.events).toEqual(published);
      raw.resume();
      expect(await reader.waitForClose(20_000)).toBe(1013);
      const got = reader.events;
      expect(got).toEqual(published.slice(0, got.length));
      const last = got.at(-1)?.id as string | undefined;
      const again = await WsClient.connect(served.wsUrl(last ? `lastEventId=${encodeURIComponent(last)}` : undefined));
      harness().defer(() => again.close());
      await again.waitForEvents(published.length - got.length, 20_000);
      expect([...got, ...again.events]).toEqual(published);
    }, slowReaderTimeoutMs);
  });
}

/**
 * Publishes 1 KB events in small batches, letting healthy readers keep up, until the hub reports
 * a reader dropped; bounded, so a hub that never drops one fails the test rather than filling memory.
 */
async function publishUntilClosed(hub: ServedHub): Promise<Record<string, unknown>[]> {
  const published: Record<string, unknown>[] = [];
  const dropped = async () => (await hub.stats()).events.dropped > 0;
  for (let batch = 0; batch < 5_000 && !(await dropped()); batch++) {
    // A batch is published without waiting on each event (the bus keeps their order), so the
    // time to fill a reader's buffers does not grow with a bus's round trip per event.
    const events = Array.from({ length: 16 }, (_, i) => ({ event: "bot.word", index: published.length + i, pad }));
    const ids = await Promise.all(events.map((event) => hub.publish(event)));
    published.push(...withIds(events, ids));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await until(dropped, "the slow reader to be dropped");
  return published;
}

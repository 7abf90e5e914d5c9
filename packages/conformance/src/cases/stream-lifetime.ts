import { describe, expect, it } from "vitest";
import { openStream, publishAll, transports, withIds, type Harness, type Transport } from "../harness.js";
import type { SseClient } from "../sse-client.js";
import type { WsClient } from "../ws-client.js";
import { until } from "../wait.js";

const maxStreamMs = 400;
const words = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ event: "bot.word", sessionId: "S1", index: from + i }));

/**
 * `maxStreamMs` (docs/protocol.md#runtimes-and-platforms): each stream ends after about that
 * long and never later (WebSocket 1012, SSE ended with a `: reconnect` comment), and a client that
 * resumes from its last id loses and repeats nothing.
 */
export function streamLifetimeCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe.each(offered)("maxStreamMs over %s", (transport) => {
    it("ends the stream after about maxStreamMs, saying reconnect now, and its resume loses nothing", async () => {
      const served = await harness().serve({ maxStreamMs });
      const opening = Date.now();
      const client = await openStream(harness(), transport, served, "session=S1");
      const first = words(0, 3);
      const ids = await publishAll(served.hub, first);
      await client.waitForEvents(3);
      if (transport === "websocket") {
        expect(await (client as WsClient).waitForClose(10_000)).toBe(1012);
      } else {
        await (client as SseClient).waitForEnd(10_000);
        expect((client as SseClient).raw).toMatch(/\n\n: reconnect\n\n$/);
      }
      // Jittered by up to a tenth, downwards only: never before 90% of maxStreamMs.
      expect(Date.now() - opening).toBeGreaterThanOrEqual(maxStreamMs * 0.9);
      // The hub counts a WebSocket until its own side of the close is done, which can come just
      // after the client's (a hub in another process, under load, answers stats after that).
      await until(async () => JSON.stringify((await served.hub.stats()).connections) === JSON.stringify({ sse: 0, websocket: 0 }), "the hub to count no connection once the stream ended");

      const missed = words(3, 2);
      ids.push(...(await publishAll(served.hub, missed)));
      const again = await openStream(harness(), transport, served, `session=S1&lastEventId=${encodeURIComponent(ids[2]!)}`);
      await again.waitForEvents(2);
      const live = words(5, 1);
      ids.push(...(await publishAll(served.hub, live)));
      await again.waitForEvents(3);
      expect([...client.messages, ...again.messages]).toEqual(withIds([...first, ...missed, ...live], ids));
    });
  });
}

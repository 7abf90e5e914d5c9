import { afterEach, describe, expect, it } from "vitest";
import { createHub, heartbeatBatch, type Hub } from "./hub.js";
import type { WebSocketInbox, WebSocketPeer } from "./ws/websocket-peer.js";

const hubs: Hub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.close();
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe("the heartbeat sweep (docs/protocol.md#load-and-bad-input)", () => {
  it("pings a hub's connections a batch per turn, every one of them once per heartbeatMs, and answered peers stay", async () => {
    // Regression: every connection was pinged in one turn, each a socket write: with 16,000
    // streams per process that stalled every delivery for about half a second per heartbeat.
    const hub = createHub({ authorize: true, heartbeatMs: 200 });
    hubs.push(hub);
    const count = heartbeatBatch * 3 + 17;
    const pings: number[] = [];
    /** Pings made in the turn in which the sweep began, read by a timer set in that turn. */
    let firstTurn: number | undefined;
    class AnsweringPeer implements WebSocketPeer {
      open = true;
      bufferedAmount = 0;
      inbox!: WebSocketInbox;
      constructor(readonly index: number) {}
      send(): void {}
      close(): void {
        this.open = false;
        setTimeout(() => this.inbox.closed(), 0); // a runtime reports the close on a later turn
      }
      ping(): void {
        if (pings.length === 0) {
          // Timers of one delay run in the order they were set: this one before the sweep's next batch.
          setTimeout(() => (firstTurn ??= pings.length), 0);
        }
        pings.push(this.index);
        this.inbox.pong(); // answers at once, as a live browser would
      }
    }
    const peers = Array.from({ length: count }, (_, index) => {
      const peer = new AnsweringPeer(index);
      peer.inbox = hub.openWebSocket(peer, { request: { method: "GET", url: "/events", headers: {} } });
      return peer;
    });
    await until(() => hub.stats().connections.websocket === count, "every connection to open");

    await until(() => pings.length >= count && firstTurn !== undefined, "a whole sweep");
    expect(firstTurn).toBe(heartbeatBatch);
    expect([...pings.slice(0, count)].sort((a, b) => a - b)).toEqual(peers.map((_, index) => index));
    // The next sweep pings each again; none was dropped for want of an answer.
    await until(() => pings.length >= 2 * count, "a second sweep");
    expect(hub.stats().connections.websocket).toBe(count);
  });
});

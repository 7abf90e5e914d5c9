import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { publishAll, transports, withIds, type Harness, type Served, type Transport } from "../harness.js";
import { until } from "../wait.js";

/** A replay's first page (the hub reads history 256 events at a time). */
const firstPage = 256;
/** Big events fill that page with far more than loopback's socket buffers hold. */
const eventBytes = 64 * 1024;
const overrunTimeoutMs = 60_000;

/** A stream that stops reading as its first event arrives, and reads again on `resume()`. */
interface PausedStream {
  /** Resolves once the first event has arrived and reading stopped. */
  readonly paused: Promise<void>;
  resume(): void;
  /** The id of the last message received, if it had one. */
  lastId(): string | undefined;
  messages(): Record<string, unknown>[];
}

/**
 * docs/protocol.md#resume, "The gap says why": the reasons a hub tells itself. (A bus's own, `expired`,
 * `unknown` and `reset`, are asserted by the resume cases on every bus.)
 */
export function gapReasonCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe.each(offered)("gap reasons over %s", (transport) => {
    it(
      "overrun: the history moves past a replay waiting for its reader to drain; the gap names the last event it sent, then the oldest retained follow",
      async () => {
        const served = await harness().serve({ history: { maxEvents: 300 }, limits: { maxBufferedBytes: 64 * 1024 } });
        const pad = "x".repeat(Math.min(eventBytes, harness().maxEventBytes - 4096));
        const big = Array.from({ length: 300 }, (_, index) => ({ event: "big", index, pad }));
        const ids = await publishAll(served.hub, big);
        // The reader stops at its first event: the replay has read its first page and waits, inside
        // it, for the reader to drain. Meanwhile the history moves past the rest of that page.
        const reader = await pausedAtFirstEvent(harness(), transport, served, `lastEventId=${encodeURIComponent(ids[0]!)}`);
        await reader.paused;
        const small = Array.from({ length: 900 }, (_, index) => ({ event: "small", index }));
        const later = await publishAll(served.hub, small);
        reader.resume();
        await until(() => reader.lastId() === later.at(-1), "the replay to reach the newest event", overrunTimeoutMs);
        const messages = reader.messages();
        expect(messages.slice(0, firstPage + 1)).toEqual([
          ...withIds(big, ids).slice(1, firstPage + 1),
          { event: "gap", lastEventId: ids[firstPage], reason: "overrun" },
        ]);
        // A bus may keep a little more than maxEvents, never less: a contiguous suffix of what followed.
        const rest = messages.slice(firstPage + 1);
        const start = later.indexOf(rest[0]?.id as string);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(rest).toEqual(withIds(small, later).slice(start));
        expect(rest.length).toBeGreaterThanOrEqual(300);
      },
      overrunTimeoutMs,
    );
  });
}

async function pausedAtFirstEvent(harness: Harness, transport: Transport, served: Served, query: string): Promise<PausedStream> {
  if (transport === "sse") {
    const client = await harness.sse(served.sseUrl(query));
    const paused = new Promise<void>((resolve) => {
      const onData = () => {
        if (client.parser.events.length === 0) return;
        client.pause();
        client.response.off("data", onData);
        resolve();
      };
      client.response.on("data", onData);
    });
    return { paused, resume: () => client.resume(), lastId: () => client.parser.events.at(-1)?.id, messages: () => client.messages };
  }
  // Listening from the first byte: a replay may start before the handshake's ping is answered.
  const client = harness.wsRaw(served.wsUrl(query));
  const socket = () => (client.socket as unknown as { _socket: Socket })._socket;
  const paused = new Promise<void>((resolve) => client.socket.once("message", () => (socket().pause(), resolve())));
  if (!(await client.opened)) throw new Error(`WebSocket ${served.wsUrl(query)} was refused`);
  return { paused, resume: () => socket().resume(), lastId: () => client.messages.at(-1)?.id as string | undefined, messages: () => client.messages };
}

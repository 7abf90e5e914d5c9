import { describe, expect, it } from "vitest";
import type { Harness } from "../harness.js";

/**
 * For an adapter that serves SSE only (`transports: ["sse"]`, as a Next.js App-router route, which
 * cannot upgrade): the WebSocket cases do not apply. What the suite asserts instead is that a
 * WebSocket handshake on the events path never opens and leaves nothing counted.
 */
export function websocketNotOfferedCases(harness: () => Harness): void {
  describe("WebSocket: not offered by this adapter (SSE only), so its WebSocket cases do not apply", () => {
    it("never opens a WebSocket handshake on the events path, and counts no connection", async () => {
      const served = await harness().serve();
      const client = harness().wsRaw(served.wsUrl());
      expect(await client.opened).toBe(false);
      expect((await served.hub.stats()).connections).toEqual({ sse: 0, websocket: 0 });
      const stream = await harness().sse(served.sseUrl());
      expect(stream.status).toBe(200);
    });
  });
}

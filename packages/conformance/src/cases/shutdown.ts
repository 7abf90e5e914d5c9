import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { openStream, transports, type Harness, type Transport } from "../harness.js";

/** docs/protocol.md#shutdown: close stops accepting, closes WebSockets with 1001, ends SSE, detaches sources, then resolves. */
export function shutdownCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  const websocket = offered.includes("websocket");
  describe("shutdown", () => {
    it("closes WebSockets with 1001 and ends SSE streams, resolving once every connection is gone", async () => {
      const served = await harness().serve();
      const sockets = websocket ? [await harness().ws(served.wsUrl()), await harness().ws(served.wsUrl("session=S"))] : [];
      const sse = await harness().sse(served.sseUrl());
      const scoped = await harness().sse(served.sseUrl("session=S"));
      expect((await served.hub.stats()).connections).toEqual({ sse: 2, websocket: sockets.length });
      await served.hub.close();
      expect((await served.hub.stats()).connections).toEqual({ sse: 0, websocket: 0 });
      for (const socket of sockets) expect(await socket.waitForClose()).toBe(1001);
      await sse.waitForEnd();
      await scoped.waitForEnd();
    });

    it("detaches sources, stops pipes and rejects publishing once closed", async () => {
      const served = await harness().serve();
      const agent = new EventEmitter();
      served.hub.attach(agent, { events: ["bot.word"] });
      let pulled = 0;
      async function* endless() {
        for (;;) {
          pulled++;
          yield { event: "tick" };
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      const piping = served.hub.pipe(endless());
      const client = await openStream(harness(), websocket ? "websocket" : "sse", served);
      await client.waitForEvents(2);
      await served.hub.close();
      await piping;
      const published = (await served.hub.stats()).events.published;
      const pulledAtClose = pulled;
      agent.emit("bot.word", { word: "late" });
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect((await served.hub.stats()).events.published).toBe(published);
      expect(pulled).toBe(pulledAtClose);
      expect(agent.listenerCount("bot.word")).toBe(0);
      await expect(served.hub.publish({ event: "late" })).rejects.toThrow(/closed/);
    });
  });
}

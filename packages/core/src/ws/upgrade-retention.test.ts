import http, { type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createHub } from "../hub.js";
import { EventFilter, eventFilter } from "../event-filter.js";

// A collector for this file only: V8 exposes `gc` to contexts created after the flag is set.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function collected(refs: readonly WeakRef<object>[]): Promise<number> {
  for (let round = 0; round < 10; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return refs.filter((ref) => ref.deref() === undefined).length;
}

describe("what an open WebSocket keeps (idle memory per connection, bench/BENCHMARKS.md)", () => {
  it("keeps no reference to its upgrade request once open", async () => {
    // Regression: the socket's 'error' listener was a closure in handleUpgrade's scope, which also
    // holds `request`: every open WebSocket kept its request and headers (about 1.2 KB).
    const hub = createHub({ authorize: true });
    const server = http.createServer();
    const requests: WeakRef<IncomingMessage>[] = [];
    server.on("upgrade", (request: IncomingMessage, socket, head) => {
      requests.push(new WeakRef(request));
      hub.handleUpgrade(request, socket, head);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/events?session=s1`;

    const count = 20;
    for (let i = 0; i < count; i++) {
      const socket = new WebSocket(url);
      cleanups.push(() => socket.terminate());
      await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
    }
    expect(hub.stats().connections.websocket).toBe(count);
    expect(await collected(requests)).toBe(count);
    expect(hub.stats().connections.websocket).toBe(count);
  });

  it("shares one filter among streams that name neither events nor include", () => {
    expect(eventFilter(undefined, undefined)).toBe(eventFilter(undefined, []));
    expect(eventFilter(["*"], undefined)).toBe(eventFilter(undefined, undefined));
    const named = eventFilter(["bot.word"], undefined);
    expect(named).not.toBe(eventFilter(["bot.word"], undefined));
    expect(named).toBeInstanceOf(EventFilter);
    expect([named.matches("bot.word", false), named.matches("call.started", false)]).toEqual([true, false]);
    const included = eventFilter(undefined, ["llm.tool_result"]);
    expect([included.matches("llm.tool_result", true), included.matches("call.started", false)]).toEqual([true, true]);
  });
});

import { describe, expect, it } from "vitest";
import { publishAll, withIds, type Harness, type Served, type Transport } from "../harness.js";
import { TcpProxy } from "../tcp-proxy.js";
import { thirdPartyClients, type ThirdPartyClientKind } from "../third-party/clients.js";
import { until } from "../wait.js";

const words = (count: number) => Array.from({ length: count }, (_, i) => ({ event: "bot.word", sessionId: "S1", index: i }));

/** A proxy in front of `served`, so a test can cut its connections or put another server behind it. */
async function proxyTo(harness: Harness, served: Served): Promise<TcpProxy> {
  const proxy = new TcpProxy(Number(new URL(served.sseUrl()).port));
  await proxy.start();
  harness.defer(() => proxy.stop());
  return proxy;
}

/** The URL a client of `kind` opens on `served`, through `proxy`. */
const urlFor = (kind: ThirdPartyClientKind, proxy: TcpProxy, served: Served, query: string) => proxy.url(kind.transport === "sse" ? served.sseUrl(query) : served.wsUrl(query));

/**
 * docs/protocol.md#wire-protocol and docs/protocol.md#resume with clients we did not write (SSE:
 * `eventsource`, `@microsoft/fetch-event-source`; WebSocket: `partysocket` by the client README's
 * recipe), each opened on a URL that carries `lastEventId` (as a page does after a reload): live
 * events, then a dropped connection and a server restart, across which each must lose and repeat
 * nothing. A short `retryMs` keeps SSE reconnects quick.
 */
export function thirdPartyClientCases(harness: () => Harness, offered: readonly Transport[]): void {
  describe.each(thirdPartyClients.filter((kind) => offered.includes(kind.transport)))("other people's clients: $name", (kind) => {
    it("receives live events, and after the connection drops retries and resumes, nothing lost or repeated", async () => {
      const served = await harness().serve({ retryMs: 50 });
      const proxy = await proxyTo(harness(), served);
      const events = words(6);
      const ids = await publishAll(served.hub, events.slice(0, 2));
      const client = kind.open(urlFor(kind, proxy, served, `lastEventId=${encodeURIComponent(ids[0]!)}`));
      harness().defer(() => client.close());
      await until(() => client.received.length === 1, "the event after the URL's lastEventId");
      ids.push(...(await publishAll(served.hub, events.slice(2, 3))));
      await until(() => client.received.length === 2, "a live event");
      await proxy.stop(); // the connection drops without an end, as when a server crashes
      await until(async () => (await served.hub.stats()).connections[kind.transport] === 0, "the hub to see the stream gone");
      ids.push(...(await publishAll(served.hub, events.slice(3, 5))));
      await proxy.start();
      await until(() => client.received.length >= 4, `the client to retry and resume (has ${JSON.stringify(client.received)})`);
      ids.push(...(await publishAll(served.hub, events.slice(5))));
      await until(() => client.received.length >= 5, "a live event after the resume");
      expect(client.received).toEqual(withIds(events, ids).slice(1));
    });

    it("resumes from the last event it saw after the server ends its stream and restarts", async () => {
      const busName = `third-party-restart-${kind.name}`;
      const first = await harness().serve({ retryMs: 200 }, busName);
      const proxy = await proxyTo(harness(), first);
      const events = words(4);
      const ids = await publishAll(first.hub, events.slice(0, 2));
      const client = kind.open(urlFor(kind, proxy, first, `lastEventId=${encodeURIComponent(ids[0]!)}`), { retryOnEnd: true });
      harness().defer(() => client.close());
      await until(() => client.received.length === 1, "the event after the URL's lastEventId");
      // A restart: the server stops taking connections, ends its streams and exits, its kept-alive
      // sockets with it (before the client retries, no sooner than `retryMs`: over one, a closing
      // hub would answer 503, on which an EventSource gives up); then another comes up.
      await proxy.stop({ keepConnections: true });
      const closing = first.hub.close();
      await until(async () => (await first.hub.stats()).connections[kind.transport] === 0, "the old server to end its stream");
      await proxy.stop();
      await closing;
      const second = await harness().serve({ retryMs: 200 }, busName);
      proxy.target = Number(new URL(second.sseUrl()).port);
      ids.push(...(await publishAll(second.hub, events.slice(2))));
      await proxy.start();
      await until(() => client.received.length >= (harness().sharedBus ? 3 : 4), `the client to resume on the new server (has ${JSON.stringify(client.received)})`);
      const [before, ...after] = withIds(events, ids).slice(1);
      // On a shared bus the history survives the restart; in memory it does not, and a gap says so.
      expect(client.received).toEqual(harness().sharedBus ? [before, ...after] : [before, expect.objectContaining({ event: "gap", lastEventId: ids[1] }), ...after]);
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SseClient } from "../../sse-client.js";
import { until } from "../../wait.js";
import { WsClient } from "../../ws-client.js";
import type { BusHarness } from "../bus-harness.js";
import { HubProcess, type ChildBus, type OpenOptions, type OutgoingEvent, type PublishResult } from "../hub-process.js";
import type { BusConformanceOptions } from "../options.js";
import { RecordingContext } from "../recording-context.js";

type Client = SseClient | WsClient;
type Received = Record<string, unknown>;

/**
 * Generous bounds: these cases start real processes, and the machine may be busy with other suites.
 * A case that passes takes a few seconds; these only say when to give up.
 */
const caseTimeoutMs = 90_000;
const deliveryTimeoutMs = 20_000;

/**
 * Real processes on one stream: an agent process with no web server publishes, two web processes
 * serve SSE and WebSocket clients. What one process publishes, every process delivers, with one id.
 */
export function processCases(options: BusConformanceOptions, current: () => BusHarness): void {
  describe("several processes on one stream", () => {
    const childBus = (stream: string, address?: string): ChildBus => ({
      module: options.bus.module.href,
      export: options.bus.export,
      options: options.bus.options(stream, address),
    });

    // The processes are started once for these cases (each case opens fresh hubs in them), and a
    // process a case killed is replaced before the next. The first starts alone: on a cold cache it
    // transpiles the TypeScript sources once, for the others.
    const started: HubProcess[] = [];
    async function startProcesses(): Promise<[HubProcess, HubProcess, HubProcess]> {
      const module = options.bus.module.href;
      if (!started[0]?.alive) started[0] = await HubProcess.start(module);
      const webs = await Promise.all([1, 2].map((i) => (started[i]?.alive ? started[i] : HubProcess.start(module))));
      started.splice(1, 2, ...webs);
      return started as [HubProcess, HubProcess, HubProcess];
    }
    beforeAll(startProcesses, 120_000);
    afterAll(() => Promise.all(started.map((process) => process.stop())));

    /**
     * An agent hub and two web hubs on `stream`, each in a process of its own (with `hub`'s hub
     * options and authorization); closed after the case.
     */
    async function processes(stream: string, address?: string, hub: Omit<OpenOptions, "serve"> = {}) {
      const [agent, ...webs] = await startProcesses();
      const bus = childBus(stream, address);
      const opened = await Promise.allSettled([agent.open(bus, { ...hub, serve: false }), ...webs.map((web) => web.open(bus, { ...hub, serve: true }))]);
      current().defer(() => Promise.all([agent, ...webs].map((process) => process.close())));
      const failed = opened.find((result) => result.status === "rejected");
      if (failed) throw failed.reason;
      return { agent, webs };
    }

    async function sse(url: string, query: string, headers: Record<string, string> = {}): Promise<SseClient> {
      const client = await SseClient.open(`${url}?${query}`, headers);
      current().defer(() => client.close());
      expect(client.status).toBe(200);
      return client;
    }

    async function ws(url: string, query: string, headers: Record<string, string> = {}): Promise<WsClient> {
      const client = await WsClient.connect(`${url.replace(/^http/, "ws")}?${query}`, { headers });
      current().defer(() => client.close());
      return client;
    }

    /** Publishes one marker per session and waits until every client has its own: they are live. */
    async function warmUp(agent: HubProcess, clients: [Client, string | undefined][]): Promise<void> {
      const sessions = [...new Set(clients.map(([, session]) => session).filter((s): s is string => s !== undefined))];
      await agent.publishAcked(sessions.map((sessionId) => ({ event: "warmup", sessionId })));
      for (const [client, session] of clients) {
        const expected = session === undefined ? sessions.length : 1; // an unscoped client gets every session's
        await until(() => client.events.length >= expected, "the warm-up events", deliveryTimeoutMs);
      }
    }

    /** The whole history of `stream`, read by a bus of this process. */
    async function history(stream: string, address?: string) {
      const reader = current().bus(stream, address);
      await reader.open(new RecordingContext());
      return { reader, events: (await reader.read(undefined, 1_000)).events };
    }

    const after = (client: Client, count: number): Received[] => client.events.slice(count);
    const withIds = (events: Received[], ids: string[]): Received[] => events.map((event, i) => ({ ...event, id: ids[i] }));

    it(
      "every client gets every event of its session once, in one order, with the same ids on both web processes",
      { timeout: caseTimeoutMs },
      async () => {
        const stream = current().stream("processes");
        const { agent, webs: [web1, web2] } = await processes(stream);
        const s1Ws = await ws(web1.url, "session=S1");
        const s1Sse = await sse(web2.url, "session=S1");
        const s2Sse = await sse(web1.url, "session=S2");
        const s2Ws = await ws(web2.url, "session=S2");
        const allSse = await sse(web2.url, "");
        const clients: [Client, string | undefined][] = [[s1Ws, "S1"], [s1Sse, "S1"], [s2Sse, "S2"], [s2Ws, "S2"], [allSse, undefined]];
        await warmUp(agent, clients);
        const skip = clients.map(([client]) => client.events.length);

        const events = Array.from({ length: 60 }, (_, n) => ({ event: "bot.word", sessionId: ["S1", "S2", "S3"][n % 3], n }));
        const ids = await agent.publishAcked(events, { concurrent: true });
        const all = withIds(events, ids);
        const ofSession = (session: string) => all.filter((event) => event.sessionId === session);

        await s1Ws.waitForEvents(skip[0]! + 20, deliveryTimeoutMs);
        await s1Sse.waitForEvents(skip[1]! + 20, deliveryTimeoutMs);
        await s2Sse.waitForEvents(skip[2]! + 20, deliveryTimeoutMs);
        await s2Ws.waitForEvents(skip[3]! + 20, deliveryTimeoutMs);
        await allSse.waitForEvents(skip[4]! + 60, deliveryTimeoutMs);
        // One end marker per session: a client has all it will get once its marker arrives.
        await agent.publishAcked([{ event: "end", sessionId: "S1" }, { event: "end", sessionId: "S2" }]);
        for (const [index, [client, session]] of clients.entries()) {
          await client.waitForEvents(skip[index]! + (session === undefined ? 62 : 21), deliveryTimeoutMs);
        }

        expect(after(s1Ws, skip[0]!).slice(0, -1)).toEqual(ofSession("S1"));
        expect(after(s1Sse, skip[1]!).slice(0, -1)).toEqual(ofSession("S1"));
        expect(after(s2Sse, skip[2]!).slice(0, -1)).toEqual(ofSession("S2"));
        expect(after(s2Ws, skip[3]!).slice(0, -1)).toEqual(ofSession("S2"));
        expect(after(allSse, skip[4]!).slice(0, -2)).toEqual(all);
        expect([...web1.logs, ...web2.logs, ...agent.logs]).toEqual([]);

        // Concurrent publishes keep their order: the history is the warm-ups, then the 60 events in publish order.
        const { reader, events: stored } = await history(stream);
        const storedIds = stored.map((event) => event.id);
        expect(storedIds.slice(2, 62)).toEqual(ids);
        expect([...storedIds].sort(reader.compareIds.bind(reader))).toEqual(storedIds);
        await options.ids.checkFresh(storedIds, stream);
      },
    );

    it(
      "a client moved from a killed web process to the other resumes with nothing lost or repeated",
      { timeout: caseTimeoutMs },
      async () => {
        const { agent, webs: [web1, web2] } = await processes(current().stream("move"));
        const sseClient = await sse(web1.url, "session=S1");
        const wsClient = await ws(web1.url, "session=S2");
        await warmUp(agent, [[sseClient, "S1"], [wsClient, "S2"]]);

        const events = Array.from({ length: 30 }, (_, n) => ({ event: "bot.word", sessionId: n % 2 ? "S2" : "S1", n }));
        const ids = await agent.publishAcked(events.slice(0, 10));
        await sseClient.waitForEvents(1 + 5, deliveryTimeoutMs);
        await wsClient.waitForEvents(1 + 5, deliveryTimeoutMs);

        await web1.kill();
        await sseClient.waitForEnd(deliveryTimeoutMs);
        await wsClient.waitForClose(deliveryTimeoutMs);
        ids.push(...(await agent.publishAcked(events.slice(10, 20)))); // while the clients are away

        const lastSse = sseClient.events.at(-1)!.id as string;
        const lastWs = wsClient.events.at(-1)!.id as string;
        const movedSse = await sse(web2.url, "session=S1", { "last-event-id": lastSse });
        const movedWs = await ws(web2.url, `session=S2&lastEventId=${encodeURIComponent(lastWs)}`);
        ids.push(...(await agent.publishAcked(events.slice(20))));
        await movedSse.waitForEvents(10, deliveryTimeoutMs);
        await movedWs.waitForEvents(10, deliveryTimeoutMs);
        await agent.publishAcked([{ event: "end", sessionId: "S1" }, { event: "end", sessionId: "S2" }]);
        await movedSse.waitForEvents(11, deliveryTimeoutMs);
        await movedWs.waitForEvents(11, deliveryTimeoutMs);

        const all = withIds(events, ids);
        const received = (before: Client, moved: Client) => [...before.events.slice(1), ...moved.events.slice(0, -1)];
        expect(received(sseClient, movedSse)).toEqual(all.filter((event) => event.sessionId === "S1"));
        expect(received(wsClient, movedWs)).toEqual(all.filter((event) => event.sessionId === "S2"));
        expect([...movedSse.messages, ...movedWs.messages].filter((message) => message.event === "gap")).toEqual([]);
      },
    );

    it(
      "a revoke issued in one process closes the matching streams of every process (close 4403 / SSE ended), and no other",
      { timeout: caseTimeoutMs },
      async () => {
        // docs/protocol.md#sessions-scopes-and-authorization: the bus carries the revocation.
        const { agent, webs: [web1, web2] } = await processes(current().stream("revoke"), undefined, {
          hubOptions: { scopes: { tenant: "orgId" } },
          grantHeader: "x-grant",
        });
        const grant = (tenant: string, subject: string) => ({ "x-grant": JSON.stringify({ scopes: { tenant: [tenant] }, subject }) });
        // Ada's and Bob's acme streams on both web processes and both transports; Gina's globex streams too.
        const adaSse = await sse(web1.url, "", grant("acme", "ada"));
        const adaWs = await ws(web2.url, "", grant("acme", "ada"));
        const bobWs = await ws(web1.url, "", grant("acme", "bob"));
        const bobSse = await sse(web2.url, "", grant("acme", "bob"));
        const ginaSse = await sse(web1.url, "", grant("globex", "gina"));
        const ginaWs = await ws(web2.url, "", grant("globex", "gina"));
        const count = async (web: HubProcess) => (await web.stats()).connections;
        expect([await count(web1), await count(web2)]).toEqual([{ sse: 2, websocket: 1 }, { sse: 1, websocket: 2 }]);

        const events = Array.from({ length: 24 }, (_, n) => ({ event: "bot.word", orgId: n % 3 ? "acme" : "globex", n }));
        const before = withIds(events.slice(0, 12), await agent.publishAcked(events.slice(0, 12)));
        const acmeBefore = before.filter((event) => event.orgId === "acme");
        for (const client of [adaSse, adaWs, bobWs, bobSse]) await client.waitForEvents(8, deliveryTimeoutMs);
        for (const client of [ginaSse, ginaWs]) await client.waitForEvents(4, deliveryTimeoutMs);

        // The agent process serves no stream: each web process closes its own of Ada's.
        await agent.revoke({ subject: "ada" });
        await adaSse.waitForEnd(deliveryTimeoutMs);
        expect(await adaWs.waitForClose(deliveryTimeoutMs)).toBe(4403);
        // A web process revokes acme: its own stream of Bob's and the other process's both go.
        await web2.revoke({ scopes: { tenant: ["acme"] } });
        await bobSse.waitForEnd(deliveryTimeoutMs);
        expect(await bobWs.waitForClose(deliveryTimeoutMs)).toBe(4403);
        const counts = async () => JSON.stringify([await count(web1), await count(web2)]);
        const ginaOnly = JSON.stringify([{ sse: 1, websocket: 0 }, { sse: 0, websocket: 1 }]);
        await until(async () => (await counts()) === ginaOnly, "each web process to hold Gina's stream only", deliveryTimeoutMs);

        const afterRevoke = withIds(events.slice(12), await agent.publishAcked(events.slice(12)));
        for (const client of [ginaSse, ginaWs]) await client.waitForEvents(8, deliveryTimeoutMs);
        const globex = [...before, ...afterRevoke].filter((event) => event.orgId === "globex");
        expect(ginaSse.events).toEqual(globex);
        expect(ginaWs.events).toEqual(globex);
        expect(ginaSse.ended).toBe(false);
        expect(ginaWs.closeCode).toBeUndefined();
        for (const client of [adaSse, adaWs, bobWs, bobSse]) expect(client.events).toEqual(acmeBefore);
        expect([...web1.logs, ...web2.logs, ...agent.logs]).toEqual([]);
      },
    );

    it(
      "an engine restart mid-stream loses nothing that was acknowledged",
      { timeout: caseTimeoutMs },
      async () => {
        const h = current();
        const engine = await h.options.engine.start();
        h.defer(() => engine.stop());
        const stream = h.stream("engine_restart", engine.address);
        const { agent, webs: [web1, web2] } = await processes(stream, engine.address);
        const s1Sse = await sse(web1.url, "session=S1");
        const s1Ws = await ws(web2.url, "session=S1");
        const allSse = await sse(web2.url, "");
        const clients: [Client, string | undefined][] = [[s1Sse, "S1"], [s1Ws, "S1"], [allSse, undefined]];
        await warmUp(agent, clients);
        const skip = clients.map(([client]) => client.events.length);

        // Publish one event at a time: 30 before the outage, then on through it (the engine goes down,
        // refuses at least one, comes back) until one is acknowledged again, then 20 more.
        const events: (OutgoingEvent & { sessionId: string; n: number })[] = [];
        const results: PublishResult[] = [];
        const publishNext = async (): Promise<PublishResult> => {
          const event = { event: "bot.word", sessionId: events.length % 2 ? "S2" : "S1", n: events.length };
          events.push(event);
          const [result] = await agent.publish([event]);
          results.push(result!);
          return result!;
        };
        /** Publishes until `done` says so, pacing the attempts; fails after `deliveryTimeoutMs`. */
        const publishUntil = async (done: (result: PublishResult) => boolean, what: string, paceMs = 0): Promise<void> => {
          const deadline = Date.now() + deliveryTimeoutMs;
          while (!done(await publishNext())) {
            if (Date.now() > deadline) throw new Error(`timed out after ${deliveryTimeoutMs} ms waiting for ${what}`);
            if (paceMs) await new Promise((resolve) => setTimeout(resolve, paceMs));
          }
        };
        while (events.length < 30) await publishNext();
        await engine.down();
        await publishUntil((result) => "error" in result, "a publish to be refused while the engine is down");
        const restart: { done: boolean; error?: unknown } = { done: false };
        const restarting = engine.up().then(
          () => void (restart.done = true),
          (error: unknown) => Object.assign(restart, { done: true, error }),
        );
        await publishUntil((result) => {
          if (restart.error !== undefined) throw restart.error;
          return "id" in result && restart.done;
        }, "publishing to recover after the restart", 20);
        await restarting;
        const recovered = events.length;
        while (events.length < recovered + 20) await publishNext();

        const acked = events.flatMap((event, n) => ("id" in results[n]! ? [{ ...event, id: (results[n] as { id: string }).id }] : []));
        const rejected = events.filter((_, n) => "error" in results[n]!).map((event) => event.n);
        expect(rejected.length).toBeGreaterThan(0); // the outage was real
        expect(acked.length).toBeGreaterThan(50);
        expect(acked.slice(0, 30).map((event) => event.n)).toEqual(Array.from({ length: 30 }, (_, n) => n)); // all before the outage
        expect(acked.slice(-20).map((event) => event.n)).toEqual(Array.from({ length: 20 }, (_, i) => recovered + i)); // all after it
        const { prefix } = h.options.errors;
        const reason = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: cannot publish "bot\\.word": `);
        for (const n of rejected) {
          const { error } = results[n] as { error: string };
          expect(error).toMatch(reason);
          const rest = error.replace(reason, "");
          const known = rest.startsWith(`${h.options.engine.name} at ${engine.address} `) || h.options.engine.restartError?.test(rest) === true;
          expect(known, error).toBe(true);
        }

        const containsAll = (client: Client, expected: Received[]) => () => {
          const seen = new Set(client.events.map((event) => event.id));
          return expected.every((event) => seen.has(event.id));
        };
        const ackedS1 = acked.filter((event) => event.sessionId === "S1");
        await until(containsAll(s1Sse, ackedS1), "the SSE client to have every acknowledged S1 event", deliveryTimeoutMs);
        await until(containsAll(s1Ws, ackedS1), "the WebSocket client to have every acknowledged S1 event", deliveryTimeoutMs);
        await until(containsAll(allSse, acked), "the unscoped client to have every acknowledged event", deliveryTimeoutMs);

        for (const [index, [client, session]] of clients.entries()) {
          const received = after(client, skip[index]!);
          // In order, and nothing twice; every acknowledged event with the id its publisher got.
          expect(received.map((event) => event.n)).toEqual([...new Set(received.map((event) => event.n as number))].sort((a, b) => a - b));
          const byN = new Map(received.map((event) => [event.n as number, event]));
          for (const event of acked) if (session === undefined || event.sessionId === session) expect(byN.get(event.n)).toEqual(event);
          // Anything else is an event whose publish was refused (the engine may have stored it before it went down).
          for (const event of received) if (!acked.some((a) => a.n === event.n)) expect(rejected).toContain(event.n);
        }
        expect(after(s1Sse, skip[0]!)).toEqual(after(s1Ws, skip[1]!));
        expect(s1Sse.ended).toBe(false); // the clients never noticed the outage
        expect(s1Ws.closeCode).toBeUndefined();

        // The history (what a resume reads) kept every acknowledged event too.
        const stored = new Set((await history(stream, engine.address)).events.map((event) => event.id));
        for (const event of acked) expect(stored.has(event.id)).toBe(true);
      },
    );
  });
}

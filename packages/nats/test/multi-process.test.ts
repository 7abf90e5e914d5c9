import { SseClient, WsClient } from "@eventwire/conformance";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { HubProcess, type PublishResult } from "./hub-processes.js";
import { natsBus } from "../src/index.js";
import { RecordingContext } from "./bus-context.js";
import { NATS_SERVERS, OwnNatsServer, runNatsTests, uniqueStream } from "./nats-servers.js";
import { until } from "./wait.js";

type Client = SseClient | WsClient;
type Received = Record<string, unknown>;

/**
 * Real processes on one JetStream stream: an agent process with no web server publishes, two web
 * processes serve SSE and WebSocket clients.
 */
describe.skipIf(!runNatsTests)("several processes on one NATS JetStream stream", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function processes(servers: string, stream: string, webCount = 2) {
    const options = { servers, stream, requestTimeoutMs: 1_000, connectionOptions: { reconnectTimeWait: 100, reconnectJitter: 50 } };
    const started = await Promise.all([
      HubProcess.start("agent", options),
      ...Array.from({ length: webCount }, () => HubProcess.start("web", options)),
    ]);
    for (const process of started) cleanup.push(() => process.stop());
    const [agent, ...webs] = started as [HubProcess, ...HubProcess[]];
    return { agent, webs };
  }

  async function sse(url: string, query: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.open(`${url}?${query}`, headers);
    cleanup.push(() => client.close());
    expect(client.status).toBe(200);
    return client;
  }

  async function ws(url: string, query: string): Promise<WsClient> {
    const client = await WsClient.connect(`${url.replace(/^http/, "ws")}?${query}`);
    cleanup.push(() => client.close());
    return client;
  }

  /** Publishes one marker per session and waits until every client has its own: they are live. */
  async function warmUp(agent: HubProcess, clients: [Client, string | undefined][]): Promise<void> {
    const sessions = [...new Set(clients.map(([, session]) => session).filter((s): s is string => s !== undefined))];
    await agent.publishAcked(sessions.map((sessionId) => ({ event: "warmup", sessionId })));
    for (const [client, session] of clients) {
      const expected = session === undefined ? sessions.length : 1; // an unscoped client gets every session's
      await until(() => client.events.length >= expected, "the warm-up events");
    }
  }

  const after = (client: Client, count: number): Received[] => client.events.slice(count);
  const withIds = (events: Received[], ids: string[]): Received[] => events.map((event, i) => ({ ...event, id: ids[i] }));

  it("every client gets every event of its session once, in one order, with the same ids on both web processes", async () => {
    const stream = uniqueStream("processes");
    cleanup.push(() => deleteStream(NATS_SERVERS, stream));
    const { agent, webs } = await processes(NATS_SERVERS, stream);
    const [web1, web2] = webs as [HubProcess, HubProcess];
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
    expect(ids.map((id) => Number(id.split("-")[1]))).toEqual(Array.from({ length: 60 }, (_, n) => n + 3)); // after 2 warm-ups, in order
    const all = withIds(events, ids);
    const ofSession = (session: string) => all.filter((event) => event.sessionId === session);

    await s1Ws.waitForEvents(skip[0]! + 20);
    await s1Sse.waitForEvents(skip[1]! + 20);
    await s2Sse.waitForEvents(skip[2]! + 20);
    await s2Ws.waitForEvents(skip[3]! + 20);
    await allSse.waitForEvents(skip[4]! + 60);
    await agent.publishAcked([{ event: "end" }]); // anything extra would have arrived before this
    await allSse.waitForEvents(skip[4]! + 61);

    expect(after(s1Ws, skip[0]!)).toEqual(ofSession("S1"));
    expect(after(s1Sse, skip[1]!)).toEqual(ofSession("S1"));
    expect(after(s2Sse, skip[2]!)).toEqual(ofSession("S2"));
    expect(after(s2Ws, skip[3]!)).toEqual(ofSession("S2"));
    expect(after(allSse, skip[4]!).slice(0, 60)).toEqual(all);
    expect([...web1.logs, ...web2.logs, ...agent.logs]).toEqual([]);
  });

  it("a client moved from a killed web process to the other resumes with nothing lost or repeated", async () => {
    const stream = uniqueStream("move");
    cleanup.push(() => deleteStream(NATS_SERVERS, stream));
    const { agent, webs } = await processes(NATS_SERVERS, stream);
    const [web1, web2] = webs as [HubProcess, HubProcess];
    const sseClient = await sse(web1.url, "session=S1");
    const wsClient = await ws(web1.url, "session=S2");
    await warmUp(agent, [[sseClient, "S1"], [wsClient, "S2"]]);

    const events = Array.from({ length: 30 }, (_, n) => ({ event: "bot.word", sessionId: n % 2 ? "S2" : "S1", n }));
    const ids = await agent.publishAcked(events.slice(0, 10));
    await sseClient.waitForEvents(1 + 5);
    await wsClient.waitForEvents(1 + 5);

    await web1.kill();
    await sseClient.waitForEnd();
    await wsClient.waitForClose();
    ids.push(...(await agent.publishAcked(events.slice(10, 20)))); // while the clients are away

    const lastSse = sseClient.events.at(-1)!.id as string;
    const lastWs = wsClient.events.at(-1)!.id as string;
    const movedSse = await sse(web2.url, "session=S1", { "last-event-id": lastSse });
    const movedWs = await ws(web2.url, `session=S2&lastEventId=${encodeURIComponent(lastWs)}`);
    ids.push(...(await agent.publishAcked(events.slice(20))));
    await movedSse.waitForEvents(10);
    await movedWs.waitForEvents(10);
    await agent.publishAcked([{ event: "end", sessionId: "S1" }, { event: "end", sessionId: "S2" }]);
    await movedSse.waitForEvents(11);
    await movedWs.waitForEvents(11);

    const all = withIds(events, ids);
    const received = (before: Client, moved: Client) => [...before.events.slice(1), ...moved.events.slice(0, -1)];
    expect(received(sseClient, movedSse)).toEqual(all.filter((event) => event.sessionId === "S1"));
    expect(received(wsClient, movedWs)).toEqual(all.filter((event) => event.sessionId === "S2"));
    expect([...movedSse.messages, ...movedWs.messages].filter((message) => message.event === "gap")).toEqual([]);
  });

  it("a NATS restart mid-stream loses nothing that was acknowledged", async () => {
    const server = await OwnNatsServer.start(); // JetStream file store
    cleanup.push(() => server.stop());
    const stream = uniqueStream("engine_restart");
    const { agent, webs } = await processes(server.servers, stream);
    const [web1, web2] = webs as [HubProcess, HubProcess];
    const s1Sse = await sse(web1.url, "session=S1");
    const s1Ws = await ws(web2.url, "session=S1");
    const allSse = await sse(web2.url, "");
    const clients: [Client, string | undefined][] = [[s1Sse, "S1"], [s1Ws, "S1"], [allSse, undefined]];
    await warmUp(agent, clients);
    const skip = clients.map(([client]) => client.events.length);

    const results: PublishResult[] = [];
    const events = Array.from({ length: 80 }, (_, n) => ({ event: "bot.word", sessionId: n % 2 ? "S2" : "S1", n }));
    for (const [n, event] of events.entries()) {
      if (n === 30) {
        await server.kill("SIGTERM"); // a restart (SIGKILL could lose JetStream's last unflushed writes)
        setTimeout(() => void server.restart(), 300);
      }
      results.push(...(await agent.publish([event])));
      await new Promise((resolve) => setTimeout(resolve, n >= 30 && n < 60 ? 20 : 2));
    }
    const acked = events.flatMap((event, n) => ("id" in results[n]! ? [{ ...event, id: (results[n] as { id: string }).id }] : []));
    const rejected = events.filter((_, n) => "error" in results[n]!).map((event) => event.n);
    expect(rejected.length).toBeGreaterThan(0); // the outage was real
    expect(acked.length).toBeGreaterThan(50);
    expect(acked.at(-1)!.n).toBe(79); // publishing works again after the restart
    for (const n of rejected) {
      expect((results[n] as { error: string }).error).toMatch(/^@eventwire\/nats: cannot publish "bot\.word": (NATS at 127\.0\.0\.1:\d+ |no JetStream stream takes)/);
    }

    const containsAll = (client: Client, expected: Received[]) => () => {
      const seen = new Set(client.events.map((event) => event.id));
      return expected.every((event) => seen.has(event.id));
    };
    const ackedS1 = acked.filter((event) => event.sessionId === "S1");
    await until(containsAll(s1Sse, ackedS1), "the SSE client to have every acknowledged S1 event", 15_000);
    await until(containsAll(s1Ws, ackedS1), "the WebSocket client to have every acknowledged S1 event", 15_000);
    await until(containsAll(allSse, acked), "the unscoped client to have every acknowledged event", 15_000);

    for (const [index, [client, session]] of clients.entries()) {
      const received = after(client, skip[index]!);
      // In order, and nothing twice; every acknowledged event with the id its publisher got.
      expect(received.map((event) => event.n)).toEqual([...new Set(received.map((event) => event.n as number))].sort((a, b) => a - b));
      const byN = new Map(received.map((event) => [event.n as number, event]));
      for (const event of acked) if (session === undefined || event.sessionId === session) expect(byN.get(event.n)).toEqual(event);
      // Anything else is an event whose publish was refused (the server may have stored it before it stopped).
      for (const event of received) if (!acked.some((a) => a.n === event.n)) expect(rejected).toContain(event.n);
    }
    expect(after(s1Sse, skip[0]!)).toEqual(after(s1Ws, skip[1]!));
    expect(s1Sse.ended).toBe(false); // the clients never noticed the outage
    expect(s1Ws.closeCode).toBeUndefined();

    // The history (what a resume reads) kept every acknowledged event too.
    const reader = natsBus({ servers: server.servers, stream });
    await reader.open(new RecordingContext());
    const stored = new Set((await reader.read(undefined, 1_000)).events.map((event) => event.id));
    await reader.close();
    for (const event of acked) expect(stored.has(event.id)).toBe(true);
  });
});

async function deleteStream(servers: string, stream: string): Promise<void> {
  const nc = await connect({ servers });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
}

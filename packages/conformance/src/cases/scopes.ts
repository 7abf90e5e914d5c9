import type { EventwireRequest, Grant } from "@eventwire/core";
import { describe, expect, it } from "vitest";
import { openStream, publishAll, refusal, transports, withIds, type Harness, type Served, type StreamClient, type Transport } from "../harness.js";
import type { SseClient } from "../sse-client.js";
import { until } from "../wait.js";
import type { WsClient } from "../ws-client.js";

const tenants = ["acme", "globex", "initech"] as const;
const agents = ["pines", "julia", "rook"] as const;
type Published = { event: string; [field: string]: unknown };

/**
 * Calls of three tenants that start and end interleaved (a generated trace: a new seed each run,
 * named in the test), each event carrying its call's tenant and agent; some events are about a
 * tenant but no call, some about no tenant at all.
 */
function threeTenants(seed: number): Published[] {
  const random = seeded(seed);
  // Nine calls of 15 events each (started, words, ended) and 15 events about no call, shuffled;
  // each call keeps its own order.
  const slots = [...Array.from({ length: 9 * 15 }, (_, i) => Math.floor(i / 15)), ...Array.from({ length: 15 }, () => -1)];
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  const emitted = new Array<number>(9).fill(0);
  return slots.map((call, n) => {
    if (call < 0) return n % 2 ? { event: "tenant.notice", n, orgId: tenants[n % 3] } : { event: "system.notice", n }; // a tenant-level event, or a system-wide one
    const step = emitted[call]!++;
    const event = step === 0 ? "call.started" : step === 14 ? "call.ended" : "bot.word";
    return { event, callId: `CA_${call + 1}`, step, orgId: tenants[(call + 1) % 3], agent: agents[Math.floor((call + 1) / 3) % 3] };
  });
}

/** A small seeded generator (mulberry32), so a failing seed can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `authorize` for these cases, from request headers: `x-tenants: acme,globex` grants those tenants,
 * `x-agents` those agents, `x-subject` names the subject, `x-expires-in: ms` sets `expiresAt`;
 * without any, everything.
 */
function grantFromHeaders(request: EventwireRequest): true | Grant<"tenant" | "agent"> {
  const header = (name: string) => (typeof request.headers[name] === "string" ? (request.headers[name] as string) : undefined);
  const [tenantList, agentList, subject, expiresIn] = ["x-tenants", "x-agents", "x-subject", "x-expires-in"].map(header);
  if (tenantList === undefined && agentList === undefined && subject === undefined && expiresIn === undefined) return true;
  return {
    ...(tenantList || agentList ? { scopes: { ...(tenantList ? { tenant: tenantList.split(",") } : {}), ...(agentList ? { agent: agentList.split(",") } : {}) } } : {}),
    ...(subject ? { subject } : {}),
    ...(expiresIn ? { expiresAt: Date.now() + Number(expiresIn) } : {}),
  };
}

const serveScoped = (harness: Harness) =>
  harness.serve({ sessionKey: "callId", scopes: { tenant: "orgId", agent: "agent" }, authorize: grantFromHeaders });

/** Waits until the stream is gone: an SSE response ended, or the WebSocket's close code. */
async function ended(client: StreamClient, transport: Transport): Promise<{ closeCode?: number }> {
  if (transport === "sse") {
    await (client as SseClient).waitForEnd();
    return {};
  }
  return { closeCode: await (client as WsClient).waitForClose() };
}

const notMarker = (message: Record<string, unknown>) => message.event !== "marker";

/** docs/protocol.md#sessions-scopes-and-authorization: scopes, narrowing, expiry and revocation. */
export function scopeCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe.each(offered)("scopes over %s", (transport) => {
    const refused = (status: number, close: number) => (transport === "sse" ? { status } : { close });
    /** Publishes `events`, then one marker per stream (event "marker"), and resolves once each stream has its own. */
    async function publishAndMark(served: Served, events: Published[], streams: [StreamClient, Published][]) {
      const ids = await publishAll(served.hub, events);
      for (const [client, marker] of streams) {
        const id = await served.hub.publish(marker);
        await until(() => client.events.at(-1)?.id === id, `the marker ${JSON.stringify(marker)}`);
      }
      return withIds(events, ids);
    }

    it("a tenant's stream sees exactly its own events, calls that start after it opened and tenant-level events included", async () => {
      const served = await serveScoped(harness());
      const seed = Math.floor(Math.random() * 2 ** 31);
      const acme = await openStream(harness(), transport, served, undefined, { "x-tenants": "acme" });
      const globex = await openStream(harness(), transport, served, undefined, { "x-tenants": "globex" });
      const events = threeTenants(seed);
      const published = await publishAndMark(served, events, [
        [acme, { event: "marker", orgId: "acme" }],
        [globex, { event: "marker", orgId: "globex" }],
      ]);
      expect(acme.messages.filter(notMarker), `seed ${seed}`).toEqual(published.filter((e) => e.orgId === "acme"));
      expect(globex.messages.filter(notMarker), `seed ${seed}`).toEqual(published.filter((e) => e.orgId === "globex"));
      // With and without a session: both kinds are in what acme saw.
      expect(acme.messages.some((e) => e.callId === undefined) && acme.messages.some((e) => e.callId !== undefined), `seed ${seed}`).toBe(true);
    });

    it("narrows within the grant by query: one tenant of two, then one agent of it", async () => {
      const served = await serveScoped(harness());
      const headers = { "x-tenants": "acme,globex" };
      const both = await openStream(harness(), transport, served, undefined, headers);
      const globex = await openStream(harness(), transport, served, "tenant=globex", headers);
      const globexPines = await openStream(harness(), transport, served, "tenant=globex&agent=pines", headers);
      const published = await publishAndMark(served, threeTenants(7), [
        [both, { event: "marker", orgId: "acme" }],
        [globex, { event: "marker", orgId: "globex" }],
        [globexPines, { event: "marker", orgId: "globex", agent: "pines" }],
      ]);
      expect(both.messages.filter(notMarker)).toEqual(published.filter((e) => e.orgId === "acme" || e.orgId === "globex"));
      expect(globex.messages.filter(notMarker)).toEqual(published.filter((e) => e.orgId === "globex"));
      expect(globexPines.messages.filter(notMarker)).toEqual(published.filter((e) => e.orgId === "globex" && e.agent === "pines"));
    });

    it("an operator's agent query sees those agents' events of every tenant, and none without an agent", async () => {
      const served = await serveScoped(harness());
      const operator = await openStream(harness(), transport, served, "agent=pines,julia");
      const published = await publishAndMark(served, threeTenants(11), [[operator, { event: "marker", agent: "julia" }]]);
      expect(operator.messages.filter(notMarker)).toEqual(published.filter((e) => e.agent === "pines" || e.agent === "julia"));
    });

    it("replays a resume by the same rule as live events", async () => {
      const served = await serveScoped(harness());
      const events = threeTenants(3);
      const ids = await publishAll(served.hub, events);
      const client = await openStream(harness(), transport, served, `lastEventId=${encodeURIComponent(ids[0]!)}`, { "x-tenants": "initech" });
      const expected = withIds(events, ids).slice(1).filter((e) => e.orgId === "initech");
      await client.waitForEvents(expected.length);
      const live = await served.hub.publish({ event: "marker", orgId: "initech" });
      await client.waitForEvents(expected.length + 1);
      expect(client.messages).toEqual([...expected, { event: "marker", orgId: "initech", id: live }]);
    });

    it.each([["tenant=initech"], ["tenant=acme,initech"], ["tenant=acme&tenant=initech"]])("refuses a query naming a value outside the grant (%s): 403 / close 4403", async (query) => {
      const served = await serveScoped(harness());
      const result = await refusal(harness(), transport, served, query, { "x-tenants": "acme,globex" });
      expect(result).toMatchObject(refused(403, 4403));
      if (transport === "sse") expect(result.body).toEqual({ error: "forbidden", message: expect.stringContaining('"initech"') });
    });

    it("refuses an empty scope value (400 / close 4400) and ignores a query key that is no declared scope", async () => {
      const served = await serveScoped(harness());
      expect(await refusal(harness(), transport, served, "tenant=", { "x-tenants": "acme" })).toMatchObject(refused(400, 4400));
      const client = await openStream(harness(), transport, served, "team=red", { "x-tenants": "acme" });
      const ids = await publishAll(served.hub, [{ event: "a", orgId: "globex", team: "red" }, { event: "b", orgId: "acme" }]);
      await client.waitForEvents(1);
      expect(client.messages).toEqual([{ event: "b", orgId: "acme", id: ids[1] }]);
    });

    it("refuses, and logs a TypeError, when authorize grants a scope that is not declared: 500 / close 1011", async () => {
      const served = await harness().serve({ scopes: { tenant: "orgId" }, authorize: () => ({ scopes: { team: ["red"] } }) as never });
      expect(await refusal(harness(), transport, served)).toMatchObject(refused(500, 1011));
      expect(served.logger.errors).toEqual(["[eventwire] authorize returned an invalid grant"]);
    });

    it("ends a stream at its grant's expiresAt (close 4419 / SSE ended); a resume with fresh credentials loses and repeats nothing", async () => {
      const served = await serveScoped(harness());
      const events = Array.from({ length: 6 }, (_, n) => ({ event: "bot.word", orgId: "acme", n }));
      const start = await served.hub.publish({ event: "before", orgId: "acme" });
      const headers = { "x-tenants": "acme", "x-expires-in": "600" };
      const query = (id: string) => `lastEventId=${encodeURIComponent(id)}`;
      const first = transport === "sse" ? await harness().sse(served.sseUrl(query(start)), headers) : harness().wsRaw(served.wsUrl(query(start)), { headers });
      const ids = await publishAll(served.hub, events.slice(0, 3));
      expect(await ended(first, transport)).toEqual(transport === "sse" ? {} : { closeCode: 4419 });
      ids.push(...(await publishAll(served.hub, events.slice(3, 5)))); // while it is away
      const resumeFrom = (first.events.at(-1)?.id as string | undefined) ?? start;
      const second = await openStream(harness(), transport, served, query(resumeFrom), { "x-tenants": "acme" });
      ids.push(await served.hub.publish(events[5]!));
      await second.waitForEvents(6 - first.events.length);
      expect([...first.messages, ...second.messages]).toEqual(withIds(events, ids));
    });

    it("refuses a grant that has already expired: 401 / close 4401", async () => {
      const served = await serveScoped(harness());
      expect(await refusal(harness(), transport, served, undefined, { "x-expires-in": "-1" })).toMatchObject(refused(401, 4401));
    });

    it("hub.revoke closes every matching stream (close 4403 / SSE ended) before it resolves, and no other", async () => {
      const served = await serveScoped(harness());
      const ada = await openStream(harness(), transport, served, undefined, { "x-subject": "ada", "x-tenants": "acme" });
      const adaAgain = await openStream(harness(), transport, served, "agent=rook", { "x-subject": "ada" });
      const bob = await openStream(harness(), transport, served, undefined, { "x-subject": "bob", "x-tenants": "acme" });
      const globex = await openStream(harness(), transport, served, undefined, { "x-tenants": "globex" });
      const count = async () => (await served.hub.stats()).connections[transport === "sse" ? "sse" : "websocket"];
      expect(await count()).toBe(4);
      await served.hub.revoke({ subject: "ada" });
      expect(await count()).toBe(2);
      const closed = transport === "sse" ? {} : { closeCode: 4403 };
      expect(await ended(ada, transport)).toEqual(closed);
      expect(await ended(adaAgain, transport)).toEqual(closed);
      // By scope: streams limited to acme go, globex's stays and still receives.
      await served.hub.revoke({ scopes: { tenant: ["acme", "initech"] } });
      expect(await ended(bob, transport)).toEqual(closed);
      const id = await served.hub.publish({ event: "after", orgId: "globex" });
      await globex.waitForEvents(1);
      expect(globex.messages).toEqual([{ event: "after", orgId: "globex", id }]);
      // A reconnect is authorized again: still granted, it opens.
      await openStream(harness(), transport, served, undefined, { "x-subject": "ada", "x-tenants": "acme" });
    });
  });
}

/**
 * The publish-path check (docs/protocol.md#load-and-bad-input): one event into a hub with 10,000 connections spread over 1,000
 * sessions must cost in proportion to its receivers, not to all connections. Runs the hub
 * in-process with socket stand-ins that count what they are sent (no network), so what is timed
 * is publish → bus → dispatch → routing → framing → send calls.
 */
import { createHub, type Hub } from "@eventwire/core";
import { payloadMaker } from "./payload.js";

class CountingSocket {
  readyState = 1;
  bufferedAmount = 0;
  sends = 0;
  #onClose: (() => void) | undefined;
  send(): void {
    this.sends++;
  }
  close(): void {
    this.readyState = 3;
    const onClose = this.#onClose;
    if (onClose) setImmediate(onClose);
  }
  terminate(): void {
    this.close();
  }
  ping(): void {}
  on(event: string, listener: (...args: never[]) => void): this {
    if (event === "close") this.#onClose = listener as () => void;
    return this;
  }
  off(): this {
    return this;
  }
}

export interface PublishPathCase {
  name: string;
  connections: number;
  sessions: number;
  /** Receivers of each timed event. */
  receivers: number;
  /** Median over rounds of the time one publish takes, µs. */
  usPerEvent: number;
  /** Sends counted per event (must equal `receivers`). */
  sendsPerEvent: number;
}

export interface PublishPathResult {
  cases: PublishPathCase[];
  /** Cost of a 10-receiver event in the 10,000-connection hub over the same in a 10-connection hub. */
  bigHubOverSmallHub: number;
  /** Cost of a 10-receiver event in the big hub over 10 × the per-receiver cost of a broadcast. */
  scopedOverPerReceiver: number;
  /** Cost of a 10-receiver event in a hub of 10,000 tenant-scoped connections (1,000 tenants) over a 10-connection one. */
  tenantHubOverSmallTenantHub: number;
  proportional: boolean;
}

/** `by`: each connection limited to one session, or to one tenant (a declared scope, `orgId`). */
async function hubWith(connections: number, sessions: number, by: "session" | "tenant"): Promise<{ hub: Hub; sockets: CountingSocket[] }> {
  // Closed all at once: the close at the end is not what is measured, and at the default pace
  // (2,000 a second) it takes 5 s for each 10,000-connection hub.
  const hub = createHub({ sessionKey: "callId", scopes: { tenant: "orgId" }, limits: { maxConnections: connections + 1 }, closeRate: Infinity, logger: { warn() {}, error() {} } });
  const sockets: CountingSocket[] = [];
  for (let i = 0; i < connections; i++) {
    const socket = new CountingSocket();
    sockets.push(socket);
    const value = `CA_${(i % sessions) + 1}`;
    hub.ws(socket, by === "session" ? { sessionId: value } : { scopes: { tenant: [value] } });
  }
  while (hub.stats().connections.websocket < connections) await new Promise((resolve) => setImmediate(resolve));
  return { hub, sockets };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(name: string, connections: number, sessions: number, events: number, rounds = 7, by: "session" | "tenant" = "session"): Promise<PublishPathCase> {
  const { hub, sockets } = await hubWith(connections, sessions, by);
  const make = payloadMaker(100);
  const times: number[] = [];
  let seq = 0;
  // The first round warms the JIT and is not counted.
  for (let round = 0; round <= rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < events; i++) {
      const event = make(seq++);
      event.callId = `CA_${(seq % sessions) + 1}`;
      event.orgId = event.callId; // the tenant case routes by it; the session case ignores it
      void hub.publish(event);
    }
    const us = Number(process.hrtime.bigint() - start) / 1e3 / events;
    if (round > 0) times.push(us);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const sends = sockets.reduce((sum, socket) => sum + socket.sends, 0);
  await hub.close();
  return { name, connections, sessions, receivers: connections / sessions, usPerEvent: median(times), sendsPerEvent: sends / seq };
}

/** `events`/`rounds`: how many 10-receiver events per timed round, and how many rounds. */
export async function publishPathCheck({ events = 20_000, rounds = 7 } = {}): Promise<PublishPathResult> {
  const small = await measure("10 connections, 1 session", 10, 1, events, rounds);
  const big = await measure("10,000 connections over 1,000 sessions", 10_000, 1_000, events, rounds);
  const broadcast = await measure("10,000 connections on 1 session", 10_000, 1, Math.max(1, Math.round(events / 400)), rounds);
  const smallTenants = await measure("10 connections, 1 tenant", 10, 1, events, rounds, "tenant");
  const bigTenants = await measure("10,000 connections over 1,000 tenants", 10_000, 1_000, events, rounds, "tenant");
  const perReceiver = broadcast.usPerEvent / broadcast.receivers;
  const bigHubOverSmallHub = big.usPerEvent / small.usPerEvent;
  const scopedOverPerReceiver = big.usPerEvent / (perReceiver * big.receivers);
  return {
    cases: [small, big, broadcast, smallTenants, bigTenants],
    bigHubOverSmallHub,
    scopedOverPerReceiver,
    tenantHubOverSmallTenantHub: bigTenants.usPerEvent / smallTenants.usPerEvent,
    // Proportional to receivers: the big hub costs about what the small one does (cache misses in
    // a larger heap aside). A scan of 10,000 connections, at even 20 ns each, would add 200 µs to
    // an event that costs ~10-20 µs: ten times or more.
    proportional: bigHubOverSmallHub < 3 && big.sendsPerEvent === big.receivers && bigTenants.usPerEvent / smallTenants.usPerEvent < 3 && bigTenants.sendsPerEvent === bigTenants.receivers,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await publishPathCheck(), null, 2));
  process.exit(0);
}

import { afterEach, describe, expect, it, vi } from "vitest";
import { ActionError } from "../actions.js";
import { createHub, type Hub } from "../hub.js";
import type { HubOptions } from "../options.js";
import type { WebSocketInbox, WebSocketPeer } from "./websocket-peer.js";

/**
 * One WebSocket connection's rules (docs/protocol.md#wire-protocol, #load-and-bad-input), on a peer
 * the test drives: it stays open after the hub asks it to close until the test reports the close,
 * as a real socket does during its closing handshake, and it has no `drained`, `terminate` or
 * `ping` unless a case gives it one.
 */
class Peer implements WebSocketPeer {
  open = true;
  bufferedAmount = 0;
  readonly sent: Record<string, unknown>[] = [];
  readonly closes: [number, string][] = [];
  terminated = 0;
  inbox!: WebSocketInbox;
  terminate?: () => void;
  drained?: () => Promise<void>;
  ping?: () => void;

  constructor() {
    peers.push(this);
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }
  /** Gives the peer a `terminate`, counted. */
  terminable(): this {
    this.terminate = () => void this.terminated++;
    return this;
  }
  /** The client's message, as the binding pushes it. */
  say(message: unknown): void {
    this.inbox.receive(typeof message === "string" ? message : JSON.stringify(message), false);
  }
}

const quiet = { warn() {}, error() {} };
const hubs: Hub[] = [];
const peers: Peer[] = [];
afterEach(async () => {
  vi.useRealTimers();
  // The peers never report a close by themselves: each does now, so that the hubs' close ends.
  for (const peer of peers.splice(0)) peer.inbox.closed();
  for (const hub of hubs.splice(0)) await hub.close();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after 5 s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function connected(options: HubOptions = {}): Promise<{ hub: Hub; peer: Peer }> {
  const hub = createHub({ authorize: true, logger: quiet, ...options });
  hubs.push(hub);
  const peer = new Peer();
  peer.inbox = hub.openWebSocket(peer, { request: { method: "GET", url: "/events", headers: {} } });
  await until(() => hub.stats().connections.websocket === 1, "the connection to open");
  return { hub, peer };
}

/** The one reply to `message`, once it came. */
async function reply(peer: Peer, message: unknown): Promise<Record<string, unknown>> {
  const before = peer.sent.length;
  peer.say(message);
  await until(() => peer.sent.length > before, `a reply to ${JSON.stringify(message)}`);
  expect(peer.sent).toHaveLength(before + 1);
  return peer.sent[before]!;
}

describe("WsConnection: client messages (docs/protocol.md#wire-protocol)", () => {
  it("answers a message of exactly maxMessageBytes, and closes one byte more with 1009 naming the limit", async () => {
    const { peer } = await connected({ limits: { maxMessageBytes: 100 } });
    const ping = (bytes: number) => JSON.stringify({ action: "ping", pad: "" }).replace('""', `"${"x".repeat(bytes - 26)}"`);
    expect(Buffer.byteLength(ping(100))).toBe(100);
    expect(await reply(peer, ping(100))).toEqual({ event: "pong" });
    peer.say(ping(101));
    expect(peer.closes).toEqual([[1009, "message larger than 100 bytes"]]);
  });

  it("refuses, with bad_json and the shape it expects, whatever is not an object with a string action", async () => {
    const { peer } = await connected({ limits: { actionsPerSecond: 1_000 } });
    for (const message of ["5", '"ping"', "null", "[]", '[{"action":"ping"}]', "{}", '{"action":5}', '{"action":null}']) {
      expect(await reply(peer, message), message).toEqual({ event: "error", code: "bad_json", message: 'expected an object like {"action":"ping"}' });
    }
    expect(await reply(peer, "{nope")).toEqual({ event: "error", code: "bad_json", message: "the message is not valid JSON" });
    expect(peer.closes).toEqual([]);
  });

  it("echoes a string or number ref, and no other", async () => {
    const { peer } = await connected({ limits: { actionsPerSecond: 1_000 } });
    expect(await reply(peer, { action: "ping", ref: "a" })).toEqual({ event: "pong", ref: "a" });
    expect(await reply(peer, { action: "ping", ref: 0 })).toEqual({ event: "pong", ref: 0 });
    for (const ref of [{}, true, null, ["a"]]) expect(await reply(peer, { action: "ping", ref })).toEqual({ event: "pong" });
  });

  it("names the limit it enforces and the action it does not know", async () => {
    const { peer } = await connected({ limits: { actionsPerSecond: 2 } });
    await reply(peer, { action: "ping" });
    expect(await reply(peer, { action: "nope", ref: 1 })).toEqual({ event: "error", ref: 1, code: "unknown_action", message: 'no action named "nope"' });
    expect(await reply(peer, { action: "ping" })).toEqual({ event: "error", code: "rate_limited", message: "more than 2 actions per second" });
  });

  it("acks what a handler returns, null and functions included, and keeps the code of an ActionError only when it is a string", async () => {
    const { hub, peer } = await connected({ limits: { actionsPerSecond: 1_000 } });
    const results: Record<string, unknown> = { null: null, five: 5, text: "then", fn: () => 1 };
    hub.action("get", (message) => results[String(message.what)]);
    hub.action("throw", (message) => {
      const what = String(message.what);
      if (what === "coded") throw new ActionError("not_found", "no such call");
      // From JavaScript, an ActionError's code can be anything: only a string one is an error code.
      if (what === "numbered") throw new ActionError(404 as never, "gone");
      throw Object.assign(new Error("disk"), { code: "ENOENT" });
    });
    expect(await reply(peer, { action: "get", what: "null", ref: 1 })).toEqual({ event: "ack", ref: 1, result: null });
    expect(await reply(peer, { action: "get", what: "five", ref: 2 })).toEqual({ event: "ack", ref: 2, result: 5 });
    expect(await reply(peer, { action: "get", what: "text", ref: 3 })).toEqual({ event: "ack", ref: 3, result: "then" });
    expect(await reply(peer, { action: "get", what: "fn", ref: 4 })).toEqual({ event: "ack", ref: 4 });
    expect(await reply(peer, { action: "throw", what: "coded", ref: 5 })).toEqual({ event: "error", ref: 5, code: "not_found", message: "no such call" });
    expect(await reply(peer, { action: "throw", what: "plain", ref: 6 })).toEqual({ event: "error", ref: 6, code: "action_failed", message: "disk" });
    expect(await reply(peer, { action: "throw", what: "numbered", ref: 7 })).toEqual({ event: "error", ref: 7, code: "action_failed", message: "gone" });
  });

  it("refuses through ctx.send anything but an object with a string event, and sends one that is", async () => {
    const { hub, peer } = await connected({ limits: { actionsPerSecond: 1_000 } });
    const events: Record<string, unknown> = { number: 5, null: null, nameless: {}, numbered: { event: 1 }, fine: { event: "note", text: "hi" } };
    hub.action("send", (message, ctx) => void ctx.send(events[String(message.what)] as never));
    const refused = { event: "error", code: "action_failed", message: 'ctx.send: the event must be an object with a string "event" field' };
    for (const [what, ref] of [["number", 1], ["null", 2], ["nameless", 3], ["numbered", 4]] as const) {
      expect(await reply(peer, { action: "send", what, ref }), what).toEqual({ ...refused, ref });
    }
    peer.say({ action: "send", what: "fine", ref: 5 });
    await until(() => peer.sent.length === 6, "the event and the ack");
    expect(peer.sent.slice(4)).toEqual([{ event: "note", text: "hi" }, { event: "ack", ref: 5, result: null }]);
  });
});

describe("WsConnection: a socket that is closing or closed", () => {
  it("answers nothing once the hub closes it, though the socket is still in its closing handshake", async () => {
    const { hub, peer } = await connected();
    const closing = hub.close();
    await until(() => peer.closes.length === 1, "the shutdown close");
    expect(peer.closes).toEqual([[1001, "server shutting down: reconnect and resume from your last id"]]);
    peer.say({ action: "ping", ref: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(peer.sent).toEqual([]);
    peer.inbox.closed();
    await closing;
  });

  it("sends neither events nor replies to a socket that is no longer open", async () => {
    const { hub, peer } = await connected();
    peer.open = false; // its close not reported yet
    await hub.publish({ event: "bot.word" });
    peer.say({ action: "ping", ref: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(peer.sent).toEqual([]);
  });

  it("drops a socket its closing handshake left open after the grace, and leaves one whose close came", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    const hub = createHub({ authorize: true, logger: quiet });
    const stays = new Peer().terminable();
    const goes = new Peer().terminable();
    for (const peer of [stays, goes]) peer.inbox = hub.openWebSocket(peer, { request: { method: "GET", url: "/events", headers: {} } });
    await vi.waitFor(() => expect(hub.stats().connections.websocket).toBe(2));
    const closing = hub.close();
    await vi.waitFor(() => expect([stays.closes.length, goes.closes.length]).toEqual([1, 1]));
    goes.inbox.closed();
    await vi.advanceTimersByTimeAsync(2_000);
    expect([stays.terminated, goes.terminated]).toEqual([1, 0]);
    stays.inbox.closed();
    await closing;
  });

  it("drops a silent socket without terminate() by a close, at the second heartbeat", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    const peer = new Peer();
    let pings = 0;
    peer.ping = () => void pings++;
    const hub = createHub({ authorize: true, logger: quiet, heartbeatMs: 1_000 });
    hubs.push(hub);
    peer.inbox = hub.openWebSocket(peer, { request: { method: "GET", url: "/events", headers: {} } });
    await vi.waitFor(() => expect(hub.stats().connections.websocket).toBe(1));
    await vi.advanceTimersByTimeAsync(1_000);
    expect([pings, peer.closes]).toEqual([1, []]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([pings, peer.closes]).toEqual([1, [[1001, "peer did not answer"]]]);
    peer.inbox.closed();
  });
});

describe("WsConnection: a replay that waits for the socket to drain (docs/protocol.md#load-and-bad-input)", () => {
  /** A hub holding 3,000 events of about 450 bytes, and a peer resuming after the first, which
   * reports more buffered than the replay's high-water mark (half of maxBufferedBytes) but under
   * the bound itself: the replay sends its first page and waits. */
  async function pausedReplay(peer: Peer) {
    const hub = createHub({ authorize: true, logger: quiet, limits: { maxBufferedBytes: 1_000_000 } });
    hubs.push(hub);
    const ids: string[] = [];
    for (let i = 0; i < 3_000; i++) ids.push(await hub.publish({ event: "bot.word", pad: "x".repeat(400) }));
    peer.bufferedAmount = 600_000;
    peer.inbox = hub.openWebSocket(peer, { request: { method: "GET", url: `/events?lastEventId=${ids[0]}`, headers: {} } });
    await until(() => peer.sent.length > 0, "the first page of the replay");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(peer.sent.length).toBeLessThan(ids.length - 1);
    return ids.slice(1);
  }

  it("looks again at bufferedAmount on a socket without drained(), and goes on once it is taken", async () => {
    const peer = new Peer();
    const rest = await pausedReplay(peer);
    peer.bufferedAmount = 0;
    await until(() => peer.sent.length === rest.length, "the rest of the replay");
    expect(peer.sent.map((event) => event.id)).toEqual(rest);
    expect(peer.closes).toEqual([]);
  });

  it("waits for drained() on a socket that has it, and goes on when it resolves, whatever bufferedAmount reads", async () => {
    const peer = new Peer();
    let drain!: () => void;
    const flushed = new Promise<void>((resolve) => (drain = resolve));
    peer.drained = () => flushed;
    const rest = await pausedReplay(peer);
    drain();
    await until(() => peer.sent.length === rest.length, "the rest of the replay");
    expect(peer.sent.map((event) => event.id)).toEqual(rest);
    expect(peer.closes).toEqual([]);
  });
});

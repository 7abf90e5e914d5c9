import { afterEach, describe, expect, it, vi } from "vitest";
import { createHub, type Hub } from "../hub.js";
import type { HubOptions } from "../options.js";
import type { WebSocketInbox, WebSocketPeer } from "./websocket-peer.js";

const quiet = { warn() {}, error() {} };
const hubs: Hub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.close();
  vi.unstubAllGlobals();
});

/**
 * A socket that is not a `ws` one, as a runtime other than Node gives it: only text, a close code and
 * a buffered amount (docs/protocol.md#runtimes-and-platforms). It records what the hub does with it.
 */
class TextSocket implements WebSocketPeer {
  open = true;
  bufferedAmount = 0;
  readonly sent: unknown[] = [];
  closedWith: [number, string] | undefined;
  inbox!: WebSocketInbox;

  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }

  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
    this.open = false;
    // A runtime reports the close once the handshake is done; here, on the next turn.
    setImmediate(() => this.inbox.closed());
  }
}

function start(options: HubOptions = {}) {
  const hub = createHub({ authorize: true, logger: quiet, ...options });
  hubs.push(hub);
  const connect = (url = "/events") => {
    const socket = new TextSocket();
    socket.inbox = hub.openWebSocket(socket, { request: { method: "GET", url, headers: {} } });
    return socket;
  };
  return { hub, connect };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe("a WebSocket that is not a ws socket (docs/protocol.md#runtimes-and-platforms)", () => {
  it("gets events as text, answers actions and leaves the hub's count when the runtime reports its close", async () => {
    const { hub, connect } = start({ sessionKey: "callId" });
    const socket = connect("/events?session=CA_1");
    await until(() => hub.stats().connections.websocket === 1, "the connection to open");
    socket.inbox.receive(JSON.stringify({ action: "ping", ref: 1 }), false);
    socket.inbox.receive(new TextEncoder().encode(JSON.stringify({ action: "ping", ref: 2 })).buffer, false);
    const other = await hub.publish({ event: "bot.word", callId: "CA_2" });
    const mine = await hub.publish({ event: "bot.word", callId: "CA_1", word: "hi" });
    await until(() => socket.sent.length === 3, "three messages");
    expect(socket.sent).toEqual([{ event: "pong", ref: 1 }, { event: "pong", ref: 2 }, { event: "bot.word", callId: "CA_1", word: "hi", id: mine }]);
    expect(other).not.toBe(mine);
    socket.inbox.closed();
    expect(hub.stats().connections.websocket).toBe(0);
  });

  it("keeps what arrives while authorize runs and answers it in order once admitted", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { connect } = start({ authorize: async () => (await gate, true) });
    const socket = connect();
    socket.inbox.receive('{"action":"ping","ref":"a"}', false);
    socket.inbox.receive("{nope", false);
    expect(socket.sent).toEqual([]);
    release();
    await until(() => socket.sent.length === 2, "both answers");
    expect(socket.sent).toEqual([{ event: "pong", ref: "a" }, { event: "error", code: "bad_json", message: "the message is not valid JSON" }]);
  });

  it("closes with 1009 on a text message over maxMessageBytes, counted in bytes, not characters", async () => {
    const { hub, connect } = start({ limits: { maxMessageBytes: 120 } });
    const socket = connect();
    await until(() => hub.stats().connections.websocket === 1, "the connection to open");
    socket.inbox.receive(JSON.stringify({ action: "ping", pad: "é".repeat(40) }), false); // 103 bytes
    expect(socket.closedWith).toBeUndefined();
    socket.inbox.receive(JSON.stringify({ action: "ping", pad: "é".repeat(50) }), false); // 73 characters, 123 bytes
    expect(socket.closedWith?.[0]).toBe(1009);
  });

  it("refuses binary frames, Blobs included, with an error and stays open", async () => {
    const { hub, connect } = start();
    const socket = connect();
    await until(() => hub.stats().connections.websocket === 1, "the connection to open");
    socket.inbox.receive(new Blob(["{}"]), true);
    socket.inbox.receive(new Uint8Array([0x7b, 0x7d]), true);
    expect(socket.sent).toEqual([
      { event: "error", code: "bad_json", message: "binary frames are not accepted; send a JSON text frame" },
      { event: "error", code: "bad_json", message: "binary frames are not accepted; send a JSON text frame" },
    ]);
    expect(socket.closedWith).toBeUndefined();
  });

  it("closes a reader whose socket reports more buffered than maxBufferedBytes with 1013", async () => {
    const { hub, connect } = start({ limits: { maxBufferedBytes: 1_000 } });
    const socket = connect();
    await until(() => hub.stats().connections.websocket === 1, "the connection to open");
    await hub.publish({ event: "a" });
    await until(() => socket.sent.length === 1, "the first event");
    socket.bufferedAmount = 1_001;
    await hub.publish({ event: "b" });
    await until(() => socket.closedWith !== undefined, "the slow reader to be closed");
    expect(socket.closedWith![0]).toBe(1013);
    expect(hub.stats().events.dropped).toBe(1);
  });

  it("sends no protocol ping to a socket without ping(), and does not drop it for never answering one", async () => {
    const { hub, connect } = start({ heartbeatMs: 5 });
    const socket = connect();
    await until(() => hub.stats().connections.websocket === 1, "the connection to open");
    await new Promise((resolve) => setTimeout(resolve, 60)); // a dozen heartbeats
    expect(socket.closedWith).toBeUndefined();
    expect(hub.stats().connections.websocket).toBe(1);
  });

  it("is never admitted when its close comes while authorize runs", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { hub, connect } = start({ authorize: async () => (await gate, true) });
    const socket = connect();
    socket.open = false;
    socket.inbox.closed();
    release();
    await gate;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(hub.stats().connections.websocket).toBe(0);
  });
});

describe("timers on runtimes without unref (docs/protocol.md#runtimes-and-platforms)", () => {
  it("creates and closes a hub where timers are plain numbers (Deno's web timers, Workers)", async () => {
    const realSetInterval = globalThis.setInterval;
    const realClearInterval = globalThis.clearInterval;
    const timers = new Map<number, ReturnType<typeof setInterval>>();
    let next = 1;
    vi.stubGlobal("setInterval", (fn: () => void, ms: number) => {
      timers.set(next, realSetInterval(fn, ms));
      return next++;
    });
    vi.stubGlobal("clearInterval", (id: number) => realClearInterval(timers.get(id)));
    const hub = createHub({ authorize: true, logger: quiet });
    await hub.close();
    expect(timers.size).toBe(1);
  });
});

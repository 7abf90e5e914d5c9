import { describe, expect, it } from "vitest";
import { publishAll, withIds, type Harness } from "../harness.js";
import { clientTextFrame, rawWebSocketOutcome } from "../raw-websocket.js";
import { delay, until } from "../wait.js";

/**
 * Replies as the cases compare them: in the order they came, or sorted where replies need not keep
 * the order of requests (see Capabilities.repliesInRequestOrder).
 */
function inReplyOrder<T>(harness: Harness, replies: readonly T[]): T[] {
  if (harness.capabilities.repliesInRequestOrder !== false) return [...replies];
  return [...replies].sort((a, b) => (JSON.stringify(a) ?? "").localeCompare(JSON.stringify(b) ?? ""));
}

/** docs/protocol.md#wire-protocol and docs/protocol.md#load-and-bad-input: frames, pings, actions and their replies, message limits. */
export function wsProtocolCases(harness: () => Harness): void {
  describe("WebSocket protocol", () => {
    it("sends one JSON text frame per event", async () => {
      const served = await harness().serve();
      const client = await harness().ws(served.wsUrl());
      const events = [{ event: "call.started", sessionId: "S" }, { event: "bot.word", word: "a\u2028b 👋" }];
      const ids = await publishAll(served.hub, events);
      await client.waitForEvents(2);
      expect(client.texts).toEqual(withIds(events, ids).map((e) => JSON.stringify(e).replace("\u2028", "\\u2028")));
    });

    it('answers {"action":"ping"} with {"event":"pong"}, echoing a ref', async () => {
      const served = await harness().serve();
      const client = await harness().ws(served.wsUrl());
      client.send({ action: "ping" });
      client.send({ action: "ping", ref: 7 });
      await client.waitForMessages(2);
      expect(client.messages).toEqual([{ event: "pong" }, { event: "pong", ref: 7 }]);
    });

    it("runs action handlers with their connection's context and acks with the result", async () => {
      const served = await harness().serve({ authorize: () => ({ sessions: ["CA_1"], principal: { user: "ada" } }) });
      const seen: unknown[] = [];
      let closed = false;
      served.hub.action("inject_text", async (message, ctx) => {
        seen.push({ text: message.text, sessionId: ctx.sessionId, principal: ctx.principal, hasId: typeof ctx.connectionId === "string" });
        ctx.send({ event: "agent.reply", text: `echo ${String(message.text)}` });
        ctx.onClose(() => (closed = true));
        return { accepted: true };
      });
      const client = await harness().ws(served.wsUrl("session=CA_1"));
      client.send({ action: "inject_text", ref: "r1", text: "hello" });
      await client.waitForMessages(2);
      expect(client.messages).toEqual([{ event: "agent.reply", text: "echo hello" }, { event: "ack", ref: "r1", result: { accepted: true } }]);
      expect(seen).toEqual([{ text: "hello", sessionId: "CA_1", principal: { user: "ada" }, hasId: true }]);
      client.socket.close();
      await until(() => closed, "ctx.onClose to run");
    });

    it("answers bad JSON, unknown actions, throwing handlers and binary frames with an error, and stays open", async () => {
      const served = await harness().serve();
      served.hub.action("explode", () => {
        throw new Error("boom");
      });
      const client = await harness().ws(served.wsUrl());
      client.send("{not json");
      client.send("[1,2]");
      client.send({ action: "no_such_action", ref: 1 });
      client.send({ action: "explode", ref: 2 });
      client.send(Buffer.from([0x7b, 0x7d]));
      client.send({ action: "ping", ref: 3 });
      await client.waitForMessages(6);
      expect(inReplyOrder(harness(), client.messages.map((m) => [m.event, m.code, m.ref]))).toEqual(inReplyOrder(harness(), [
        ["error", "bad_json", undefined],
        ["error", "bad_json", undefined],
        ["error", "unknown_action", 1],
        ["error", "action_failed", 2],
        ["error", "bad_json", undefined],
        ["pong", undefined, 3],
      ]));
      expect(client.messages.find((m) => m.code === "action_failed")!.message).toBe("boom");
      const id = await served.hub.publish({ event: "still.open" });
      await client.waitForEvents(1);
      expect(client.events).toEqual([{ event: "still.open", id }]);
    });

    it("answers rate_limited past actionsPerSecond", async () => {
      const served = await harness().serve({ limits: { actionsPerSecond: 5 } });
      const client = await harness().ws(served.wsUrl()); // its readiness ping took one action
      const started = performance.now();
      for (let i = 0; i < 20; i++) client.send({ action: "ping", ref: i });
      await client.waitForMessages(20);
      const elapsedMs = performance.now() - started;
      const pongs = client.messages.filter((m) => m.event === "pong").length;
      const limited = client.messages.filter((m) => m.event === "error" && m.code === "rate_limited").length;
      expect(pongs + limited).toBe(20);
      // At least what the bucket held after the readiness ping; at most a full bucket and what it
      // refilled (5 a second) while the burst was answered, however long a loaded machine took.
      expect(pongs).toBeGreaterThanOrEqual(4);
      expect(pongs).toBeLessThanOrEqual(5 + Math.ceil((elapsedMs / 1_000) * 5));
    });

    it("closes with 1009 on a message over maxMessageBytes", async () => {
      const served = await harness().serve({ limits: { maxMessageBytes: 1024 } });
      const client = await harness().ws(served.wsUrl());
      client.send({ action: "ping", pad: "x".repeat(900) });
      await client.waitForMessages(1);
      client.send({ action: "ping", pad: "x".repeat(2000) });
      expect(await client.waitForClose()).toBe(1009);
    });

    it("closes with 1009 on the header of a message over maxMessageBytes, before its payload arrives", async () => {
      // The server's WebSocket must be given the hub's limits (hub.wsServerOptions, as each adapter's
      // README sets it up): without them it buffers up to its own (ws: 100 MiB) and waits here for
      // the 1,025 bytes that never come. Where the runtime takes no limit (Deno), the whole message.
      const served = await harness().serve({ limits: { maxMessageBytes: 1024 } });
      const onHeader = harness().capabilities.messageLimitOnHeader ?? true;
      const frame = onHeader ? clientTextFrame("", 1025) : clientTextFrame(`{"action":"ping","pad":"${"x".repeat(1025 - 26)}"}`);
      expect(await rawWebSocketOutcome(served.wsUrl(), frame, 5_000)).toBe(1009);
    });

    it("closes with 1007 on invalid UTF-8", async () => {
      const served = await harness().serve();
      const client = await harness().ws(served.wsUrl());
      client.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      // The runtime's WebSocket checks the frame before the hub sees it: Deno's drops the connection.
      expect(await client.waitForClose()).toBe(harness().capabilities.invalidUtf8Close ?? 1007);
      await until(async () => (await served.hub.stats()).connections.websocket === 0, "the connection to leave the hub's count");
    });

    it("keeps messages sent while an async authorize is still running", async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const served = await harness().serve({ authorize: async () => (await gate, true) });
      served.hub.action("echo", (message) => message.value);
      const client = harness().wsRaw(served.wsUrl());
      expect(await client.opened).toBe(true);
      client.send({ action: "echo", ref: 1, value: "first" });
      client.send({ action: "ping", ref: 2 });
      await delay(50);
      expect(client.messages).toEqual([]);
      release();
      await client.waitForMessages(2);
      expect(inReplyOrder(harness(), client.messages)).toEqual([{ event: "ack", ref: 1, result: "first" }, { event: "pong", ref: 2 }]);
    });

    it("pings every heartbeatMs and drops a peer that stops answering, keeping one that answers", async () => {
      const liveness = harness().capabilities.liveness ?? "hub-pings";
      if (liveness !== "hub-pings") {
        // The runtime pings (Bun, Deno): the adapter or the server sets its keepalive from heartbeatMs.
        const served = await harness().serve({ heartbeatMs: 1_000 });
        const healthy = await harness().ws(served.wsUrl());
        const dead = await harness().ws(served.wsUrl(), { autoPong: false });
        await until(() => dead.closeCode !== undefined, "the runtime to drop the silent peer", liveness.runtimeIdleMs);
        expect(healthy.pings).toBeGreaterThanOrEqual(1);
        expect(healthy.closeCode).toBeUndefined();
        await until(async () => (await served.hub.stats()).connections.websocket === 1, "the dropped peer to leave the hub's count");
        return;
      }
      // Long enough for a loaded machine to answer a ping before the next (the clients share the
      // server's process); the peers' pings count the heartbeats, whatever the clock says.
      const heartbeatMs = 300;
      const served = await harness().serve({ heartbeatMs });
      const healthy = await harness().ws(served.wsUrl());
      const dead = await harness().ws(served.wsUrl(), { autoPong: false });
      // Its last word is an action ping; the pings that come after its answer are the ones it ignores.
      let pingsBefore: number | undefined;
      dead.socket.once("message", () => (pingsBefore = dead.pings));
      dead.send({ action: "ping", ref: "last" });
      let healthyPingsAtDrop: number | undefined;
      dead.socket.once("close", () => (healthyPingsAtDrop = healthy.pings));
      await until(() => healthyPingsAtDrop !== undefined, "the silent peer to be dropped", 20 * heartbeatMs);
      expect(dead.closeCode).toBe(1006); // terminated, no closing handshake
      // One ping left unanswered, dropped at the next heartbeat: exactly one, however late each came.
      expect(dead.pings - pingsBefore!).toBe(1);
      await until(() => healthy.pings >= healthyPingsAtDrop! + 3, "3 more heartbeats", 20 * heartbeatMs);
      expect(healthy.closeCode).toBeUndefined(); // it answered every one, and stays
      expect((await served.hub.stats()).connections.websocket).toBe(1);
    });
  });
}

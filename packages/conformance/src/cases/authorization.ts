import type { EventwireRequest } from "@eventwire/core";
import { describe, expect, it } from "vitest";
import { openStream, publishAll, refusal, transports, withIds, type Harness, type Transport } from "../harness.js";
import { until } from "../wait.js";

/** docs/protocol.md#sessions-scopes-and-authorization: what authorize sees and grants, and every refusal of its table on both transports. */
export function authorizationCases(harness: () => Harness, offered: readonly Transport[] = transports): void {
  describe.each(offered)("authorization over %s", (transport) => {
    const refused = (status: number, close: number) => (transport === "sse" ? { status } : { close });

    it("hands authorize a neutral request: method, url as sent, lower-case headers, remote address", async () => {
      const seen: EventwireRequest[] = [];
      const served = await harness().serve({ authorize: (request) => (seen.push(request), true) });
      await openStream(harness(), transport, served, "session=CA_1&events=bot.*", { "X-Api-Key": "k1" });
      expect(seen).toHaveLength(1);
      const request = seen[0]!;
      expect(request.method).toBe("GET");
      expect(request.url).toBe(`${new URL(served.sseUrl()).pathname}?session=CA_1&events=bot.*`);
      expect(request.headers["x-api-key"]).toBe("k1");
      expect(Object.keys(request.headers).every((name) => name === name.toLowerCase())).toBe(true);
      expect(request.remoteAddress).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
    });

    it("limits a connection to the sessions authorize grants: theirs only, none without a session", async () => {
      const served = await harness().serve({ sessionKey: "callId", authorize: () => ({ sessions: ["A", "B"] }) });
      const client = await openStream(harness(), transport, served);
      const events = [
        { event: "call.started", callId: "A" },
        { event: "call.started", callId: "C" },
        { event: "agent.status" },
        { event: "call.started", callId: "B" },
        { event: "bot.word", callId: "A" },
      ];
      const ids = await publishAll(served.hub, events);
      await client.waitForEvents(3);
      const last = await served.hub.publish({ event: "marker", callId: "B" });
      await client.waitForEvents(4);
      expect(client.messages).toEqual([...withIds(events, ids).filter((e) => e.callId === "A" || e.callId === "B"), { event: "marker", callId: "B", id: last }]);
    });

    it("refuses an unauthenticated request: 401 / close 4401, with a JSON error body on SSE", async () => {
      const served = await harness().serve({ authorize: async () => false });
      const result = await refusal(harness(), transport, served);
      expect(result).toMatchObject(refused(401, 4401));
      if (transport === "sse") expect(result.body).toEqual({ error: "unauthenticated", message: expect.any(String) });
    });

    it("refuses a session authorize does not grant: 403 / close 4403", async () => {
      const served = await harness().serve({ authorize: () => ({ sessions: ["A"] }) });
      const result = await refusal(harness(), transport, served, "session=B");
      expect(result).toMatchObject(refused(403, 4403));
      if (transport === "sse") expect(result.body).toEqual({ error: "forbidden", message: expect.any(String) });
      await openStream(harness(), transport, served, "session=A");
    });

    it.each([["events=a*b"], ["events=call.,,x"], ["session="], ["include=%0A"], ["session=a&session=b"]])("refuses a malformed query (%s): 400 / close 4400", async (query) => {
      const served = await harness().serve();
      const result = await refusal(harness(), transport, served, query);
      expect(result).toMatchObject(refused(400, 4400));
      if (transport === "sse") expect(result.body).toEqual({ error: "bad_request", message: expect.any(String) });
    });

    it("refuses an origin outside allowedOrigins: 403 / handshake 403; admits an allowed one and requests without an Origin", async () => {
      const served = await harness().serve({ allowedOrigins: ["https://app.example.com"] });
      expect(await refusal(harness(), transport, served, undefined, { origin: "https://evil.example.com" })).toMatchObject({ status: 403 });
      expect(await refusal(harness(), transport, served, undefined, { origin: "https://app.example.com\r\nX: y".replace(/\r\n/, "%0D%0A") })).toMatchObject({ status: 403 });
      await openStream(harness(), transport, served, undefined, { origin: "https://app.example.com" });
      await openStream(harness(), transport, served);
      if (transport === "sse") {
        const client = await harness().sse(served.sseUrl(), { origin: "https://app.example.com" });
        expect(client.headers["access-control-allow-origin"]).toBe("https://app.example.com");
        expect(client.headers["access-control-allow-credentials"]).toBe("true");
      }
    });

    it("refuses past maxConnections: 503 with Retry-After / close 1013", async () => {
      const served = await harness().serve({ limits: { maxConnections: 1 } });
      await openStream(harness(), transport, served);
      const result = await refusal(harness(), transport, served);
      expect(result).toMatchObject(refused(503, 1013));
      if (transport === "sse") expect(result.retryAfter).toMatch(/^\d+$/);
    });

    it("refuses while the hub is closing or closed: 503 / close 1013", async () => {
      const served = await harness().serve();
      await served.hub.close();
      expect(await refusal(harness(), transport, served)).toMatchObject(refused(503, 1013));
    });

    it("answers 500 / close 1011 when authorize throws, and logs it", async () => {
      const served = await harness().serve({ authorize: () => { throw new Error("db down"); } });
      expect(await refusal(harness(), transport, served)).toMatchObject(refused(500, 1011));
      // A hub in another process reports its log beside the response, not before it.
      await until(() => served.logger.errors.length > 0, "the hub to log the failure");
      expect(served.logger.errors).toEqual(["[eventwire] authorize threw"]);
    });
  });
}

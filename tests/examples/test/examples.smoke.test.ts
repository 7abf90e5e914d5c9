import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { rawRequest, SseClient, until, WsClient } from "@eventwire/conformance";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { exampleDir, startExample, stopAllExamples } from "../src/example-process.js";
import { scriptedEvents } from "../src/expected-calls.js";
import { signInCookie } from "../src/sign-in.js";

/**
 * Every example, started as its README says (`npm start` in its folder, `PORT` set, after the build
 * that turbo runs before this test), serves its page and streams the demo agent's calls over SSE
 * and WebSocket (SSE alone where the example serves no WebSocket): each call it delivers whole is
 * exactly the call the agent's script says.
 */

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** A Redis stream of its own for each run of the standalone example, deleted afterwards. */
const redisStreams: string[] = [];
const newRedisStream = () => {
  const stream = `eventwire-example-test-${randomUUID()}`;
  redisStreams.push(stream);
  return stream;
};

afterAll(async () => {
  await stopAllExamples();
  if (redisStreams.length === 0) return;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().then(
    () => redis.del(...redisStreams),
    () => undefined,
  );
  redis.disconnect();
});

interface Example {
  name: string;
  stream: string;
  env?: () => Record<string, string>;
  /**
   * Serves SSE alone, as its README says (an App-router route handler cannot upgrade): its
   * WebSocket part asserts that a handshake on the stream's path is not answered.
   */
  sseOnly?: true;
  /** The stream needs a sign-in (the dashboard's `POST /login`): this account's. */
  signIn?: "operator";
}

const examples: Example[] = [
  { name: "express-dashboard", stream: "/events", signIn: "operator" },
  { name: "fastify", stream: "/events" },
  { name: "hono", stream: "/events" },
  { name: "next-app", stream: "/api/events", sseOnly: true },
  { name: "next-pages", stream: "/api/events" },
  { name: "node-http", stream: "/events" },
  { name: "standalone", stream: "/events", env: () => ({ REDIS_URL: redisUrl, EVENTWIRE_STREAM: newRedisStream() }), signIn: "operator" },
];

/** The first call seen from its start to its end among `events`, if any. */
function wholeCall(events: Record<string, unknown>[]): string | undefined {
  const started = new Set<unknown>();
  for (const event of events) {
    if (event.event === "call.started") started.add(event.callId);
    if (event.event === "call.ended" && started.has(event.callId)) return event.callId as string;
  }
  return undefined;
}

/** The events of one call, as received, without their ids (which the bus assigns). */
const eventsOf = (events: Record<string, unknown>[], callId: string) => events.filter((event) => event.callId === callId).map(({ id: _id, ...event }) => event);

describe("each example, started with npm start", () => {
  for (const { name, stream, env, sseOnly, signIn } of examples) {
    it(`${name}: serves its page, and a whole call exactly as scripted over SSE${sseOnly ? ", and no WebSocket" : " and over WebSocket"}`, async () => {
      const example = await startExample(name, { env: env?.() });
      try {
        const page = await fetch(`${example.origin}/`);
        expect([page.status, page.headers.get("content-type")?.split(";")[0]]).toEqual([200, "text/html"]);
        await page.text();

        // Tool results are opt-in on every example's hub: ask for them, and for nothing else special.
        const query = `${stream}?include=llm.tool_result`;
        if (sseOnly) {
          expect(readFileSync(resolve(exampleDir(name), "README.md"), "utf8")).toMatch(/serves no WebSocket/);
          // Next closes an upgrade no listener of its own claims, unanswered: no 101, no stream.
          const handshake = await rawRequest(example.port, `GET ${query} HTTP/1.1\r\nHost: 127.0.0.1\r\n${websocketHeaders}\r\n`);
          expect({ handshake, crashed: example.exit !== undefined }).toEqual({ handshake: 0, crashed: false });
        }
        let headers: Record<string, string> = {};
        if (signIn) {
          const signedOut = await SseClient.open(`${example.origin}${query}`);
          await signedOut.waitForEnd();
          expect(signedOut.status).toBe(401);
          headers = await signInCookie(example.origin, signIn);
        }
        const sse = await SseClient.open(`${example.origin}${query}`, headers);
        const ws = sseOnly ? undefined : await WsClient.connect(`ws://127.0.0.1:${example.port}${query}`, { headers });
        const clients = ws ? [sse, ws] : [sse];
        try {
          expect([sse.status, sse.headers["content-type"]?.split(";")[0]]).toEqual([200, "text/event-stream"]);
          await until(() => clients.every((client) => wholeCall(client.events) !== undefined), `a whole call on ${sseOnly ? "SSE" : "both transports"}`, 20_000);
          for (const client of clients) {
            const callId = wholeCall(client.events)!;
            expect(eventsOf(client.events, callId)).toEqual(scriptedEvents(callId));
            const ids = client.events.map((event) => event.id);
            expect(new Set(ids).size).toBe(ids.length);
          }
        } finally {
          sse.close();
          ws?.close();
        }

        // Targets the URL parser rejects, on the stream's path and the app's own routing, plain and
        // as a WebSocket upgrade: answered, and the process is still there to serve its page.
        for (const target of ["//[", "//a b/", `//:x${stream}`]) {
          for (const upgrade of [false, true]) {
            const status = await rawRequest(example.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade ? websocketHeaders : "Connection: close\r\n"}\r\n`);
            // Answered without a stream and without a server error: 4xx. Next routes these targets
            // itself before any route runs (none is the stream's path): a plain GET gets its 308
            // that collapses repeated slashes, an upgrade is closed unanswered by its own listener.
            const nextOwn = name.startsWith("next-") && (upgrade ? status === 0 : status === 308);
            const answered = (status >= 400 && status < 500) || nextOwn ? "4xx" : status;
            expect({ target, upgrade, crashed: example.exit !== undefined, status: answered }).toEqual({ target, upgrade, crashed: false, status: "4xx" });
          }
        }
        expect((await fetch(`${example.origin}/`).then(async (response) => (await response.text(), response.status)))).toBe(200);
      } finally {
        await example.stop();
      }
    });
  }
});

const websocketHeaders = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

import { METHODS } from "node:http";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HubProcess, type ChildServer, type OpenOptions } from "./bus/hub-process.js";
import { ClientScope } from "./client-scope.js";
import { rawRequest } from "./raw-request.js";
import type { StreamClient } from "./harness.js";
import { delay, until } from "./wait.js";

/**
 * Hostile input (docs/protocol.md#load-and-bad-input), against the adapter's own server in a child
 * process, so that a crash fails the test instead of the runner: no request, whatever its method,
 * target, headers or timing, crashes the process, leaves a connection counted, or holds memory
 * after its socket is gone, and a bystander on each transport keeps receiving every event
 * throughout. Requests are written byte for byte on raw sockets (no client library sends most of
 * them), and generated with fast-check. Call it from a test file of the adapter:
 *
 * ```ts
 * runHostileCases("express", { module: new URL("./server.ts", import.meta.url).href, export: "startServer" });
 * ```
 */
export function runHostileCases(name: string, server: ChildServer): void {
  describe(`eventwire hostile input: ${name}`, () => {
    let child: HubProcess;
    const scope = new ClientScope();
    beforeAll(async () => {
      child = await HubProcess.start(server.module);
    }, 120_000);
    afterAll(() => child?.kill());
    afterEach(async () => {
      await scope.closeAll();
      if (child.alive) await child.close();
    });

    /** Opens a fresh hub in the child, served by the adapter; resolves to its URL's parts. */
    async function serve(options: Omit<OpenOptions, "serve"> = {}) {
      await child.open(undefined, { serve: server, ...options });
      const url = new URL(child.url);
      return { url: child.url, port: Number(url.port), path: url.pathname };
    }

    /** A client on each transport, admitted before the hostile traffic starts. */
    async function bystanders(url: string): Promise<StreamClient[]> {
      const sse = await scope.sse(url);
      expect(sse.status).toBe(200);
      return [sse, await scope.ws(url)];
    }

    /** Publishes a tick every 20 ms while `run` runs; then every bystander must have every tick, in order. */
    async function throughout(clients: StreamClient[], run: () => Promise<void>): Promise<void> {
      const ids: string[] = [];
      let running = true;
      const ticking = (async () => {
        while (running && child.alive) {
          ids.push(...(await child.publishAcked([{ event: "tick", n: ids.length }])));
          await delay(20);
        }
      })();
      try {
        await run();
      } finally {
        running = false;
        await ticking;
      }
      for (const client of clients) {
        await client.waitForEvents(ids.length, 20_000);
        expect(client.events.map((event) => event.id)).toEqual(ids);
      }
    }

    /** The hostile requests are all gone: only the bystanders are counted, and the process runs. */
    async function onlyBystandersCounted(): Promise<void> {
      expect(child.alive, "the server process is alive").toBe(true);
      let last = { sse: -1, websocket: -1 };
      await untilAsync(async () => {
        last = (await child.stats()).connections;
        return last.sse === 1 && last.websocket === 1;
      }, () => `only the two bystanders to be counted (counted ${JSON.stringify(last)})`);
    }

    it("answers generated request lines, targets and headers on raw sockets, counting none of them", { timeout: 120_000 }, async () => {
      const { url, port, path } = await serve();
      const clients = await bystanders(url);
      await throughout(clients, async () => {
        await fc.assert(
          fc.asyncProperty(requestHeads(path), async (head) => {
            await rawRequest(port, head, { timeoutMs: 3_000 });
            expect(child.alive, `the server process survives ${JSON.stringify(head)}`).toBe(true);
          }),
          { numRuns: 120 },
        );
      });
      await onlyBystandersCounted();
    });

    it("answers every method, HEAD, and an Upgrade that is not websocket, counting none of them", { timeout: 60_000 }, async () => {
      const { url, port, path } = await serve();
      const clients = await bystanders(url);
      await throughout(clients, async () => {
        for (const method of METHODS) await rawRequest(port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, { timeoutMs: 3_000 });
        for (const upgrade of ["h2c", "foo", "websocket2", "WebSocket, h2c"]) {
          await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`, { timeoutMs: 3_000 });
        }
        expect(child.alive).toBe(true);
      });
      await onlyBystandersCounted();
    });

    it("counts nothing of clients that leave at random moments while an async authorize runs", { timeout: 120_000 }, async () => {
      const { url, port, path } = await serve({ authorizeDelayMs: [0, 30] });
      const clients = await bystanders(url);
      const leaving = fc.array(fc.record({ websocket: fc.boolean(), leaveAfterMs: fc.integer({ min: 0, max: 40 }) }), { minLength: 1, maxLength: 12 });
      await throughout(clients, async () => {
        await fc.assert(
          fc.asyncProperty(leaving, async (requests) => {
            await Promise.all(requests.map(({ websocket, leaveAfterMs }) => rawRequest(port, websocket ? handshake(path) : sseRequest(path), { leaveAfterMs })));
          }),
          { numRuns: 25 },
        );
      });
      await onlyBystandersCounted();
    });

    it("holds no memory for failed WebSocket handshakes", { timeout: 120_000 }, async () => {
      const { url, port, path } = await serve();
      const clients = await bystanders(url);
      const failing = [
        handshake(path).replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 99"),
        handshake(path).replace(/Sec-WebSocket-Key: [^\r]*\r\n/, ""),
        handshake(path).replace(/Sec-WebSocket-Key: [^\r]*/, "Sec-WebSocket-Key: abc"),
        handshake(`//[${path}`),
      ];
      const cycle = async (count: number) => {
        for (let i = 0; i < count; i += 25) {
          await Promise.all(Array.from({ length: 25 }, (_, j) => rawRequest(port, failing[(i + j) % failing.length]!, { timeoutMs: 5_000 })));
        }
      };
      await cycle(400); // warm up: lazily made servers, JIT, buffer pools
      const before = (await child.stats({ gc: true })).heldBytes;
      const cycles = 3_000;
      await cycle(cycles);
      const after = (await child.stats({ gc: true })).heldBytes;
      // A leak of 450 bytes a handshake would hold 1.35 MB here; measuring noise stays well under this.
      expect(after - before, `bytes held after ${cycles} failed handshakes`).toBeLessThan(cycles * 200);
      const [id] = await child.publishAcked([{ event: "after" }]);
      for (const client of clients) await until(() => client.events.at(-1)?.id === id, "the bystanders to receive an event after the handshakes");
      await onlyBystandersCounted();
    });
  });
}

async function untilAsync(check: () => Promise<boolean>, what: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await delay(25);
  }
}

const sseRequest = (target: string) => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`;
const handshake = (target: string) =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/** Printable ASCII without space: what a request target may hold, as far as Node's parser lets it through. */
const targetChars = (maxLength: number) => fc.stringMatching(new RegExp(`^[\\x21-\\x7e]{0,${maxLength}}$`));

/** Request targets around the stream's path: unparseable ones (`//` and no valid authority), odd queries, other forms. */
function targets(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(path),
    targetChars(24).map((junk) => `${path}?${junk}`),
    targetChars(12).map((junk) => `//${junk}`),
    fc.tuple(targetChars(8), fc.constantFrom("[", ":99999", "::", "@:", "%zz", ":x", "[::1"), targetChars(8)).map(([a, broken, b]) => `//${a}${broken}${b}${path}`),
    targetChars(12).map((junk) => `${path}/${junk}`),
    fc.constantFrom("*", `http://127.0.0.1${path}`, `//${path}`, `${path}?session=`, `${path}?events=a*b`, `${path}?lastEventId=${"9".repeat(600)}`, `${path}?session=a&session=b`),
  );
}

/** Header groups; at most one kind of `Upgrade` per request. */
const upgrades = [
  "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
  "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n",
  "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n",
  "Connection: Upgrade\r\nUpgrade: h2c\r\n",
  "Connection: keep-alive, Upgrade\r\nUpgrade: foo/1\r\n",
];
const extras = ["Last-Event-ID: \x01\x7f", "Origin: null", "Origin: http://[", "Accept: text/event-stream", "Content-Length: 0", "Cookie: =;;"];

function requestHeads(path: string): fc.Arbitrary<string> {
  const method = fc.oneof(fc.constantFrom(...METHODS), fc.stringMatching(/^[A-Z]{1,12}$/));
  return fc
    .record({ method, target: targets(path), upgrade: fc.option(fc.constantFrom(...upgrades), { nil: undefined }), extra: fc.subarray(extras) })
    .map(({ method, target, upgrade, extra }) => `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade ?? ""}${extra.map((line) => `${line}\r\n`).join("")}\r\n`);
}

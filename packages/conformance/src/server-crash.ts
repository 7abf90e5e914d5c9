import { afterEach, describe, expect, it } from "vitest";
import { HubProcess, type ChildServer } from "./bus/hub-process.js";
import { ClientScope } from "./client-scope.js";
import { thirdPartySseClients } from "./third-party/clients.js";
import { until } from "./wait.js";

/** Reads a response body to its end: resolves if it ends, rejects if it breaks off. */
async function readToEnd(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  while (!(await reader.read()).done);
}

/**
 * A server killed mid-stream (SIGKILL: no goodbye, as a crash or an out-of-memory kill) must look
 * dropped to every client, not ended: a fetch reading the stream gets an error, so a client retries.
 * (`@microsoft/fetch-event-source`, with its default `onclose`, takes an ended stream as done.) The
 * server is the adapter's own, in a child process (`server`: see {@link ChildServer}), killed and
 * then started again on the same port; its hub keeps history in memory, so a resume after the
 * restart starts with a `gap`. Call it from a test file of the adapter.
 */
export function runServerCrashCases(name: string, server: ChildServer): void {
  describe(`eventwire server crash: ${name}`, () => {
    const scope = new ClientScope();
    afterEach(() => scope.closeAll());

    async function startProcess(): Promise<HubProcess> {
      const process = await HubProcess.start(server.module);
      scope.defer(() => process.kill());
      return process;
    }
    const serve = (process: HubProcess, port = 0) => process.open(undefined, { serve: server, port, hubOptions: { retryMs: 50 } });

    it("a killed server's streams break off: fetch sees an error, other people's clients retry and resume on the restarted server", { timeout: 60_000 }, async () => {
      // Both processes start at once (that takes seconds); the second serves once the first is killed.
      const [first, second] = await Promise.all([startProcess(), startProcess()]);
      await serve(first);
      const response = await fetch(first.url);
      expect(response.status).toBe(200);
      const broken = readToEnd(response.body!).then(
        () => "ended",
        () => "broke off",
      );
      // Opened after an event they resume from, so they miss nothing published while they connect.
      const [start] = await first.publishAcked([{ event: "start" }]);
      const clients = thirdPartySseClients.map((kind) => {
        const client = kind.open(`${first.url}?lastEventId=${encodeURIComponent(start!)}`);
        scope.defer(() => client.close());
        return { name: kind.name, client };
      });
      const before = await first.publishAcked([{ event: "a" }, { event: "b" }]);
      await until(() => clients.every(({ client }) => client.received.length === 2), "every client to have the first two events");

      await first.kill();
      expect(await broken).toBe("broke off");
      await serve(second, Number(new URL(first.url).port));
      const after = await second.publishAcked([{ event: "c" }]);
      await until(() => clients.every(({ client }) => client.received.length >= 4), `every client to retry and resume (have ${JSON.stringify(clients)})`);
      for (const { name, client } of clients) {
        expect({ name, received: client.received }).toEqual({
          name,
          received: [{ event: "a", id: before[0] }, { event: "b", id: before[1] }, expect.objectContaining({ event: "gap", lastEventId: before[1] }), { event: "c", id: after[0] }],
        });
      }
    });
  });
}

/**
 * The agent process of the scale run (scale.ts): no web server, a hub on the shared Redis bus that
 * publishes stamped `bot.word` events (from @eventwire/test-fixtures) for its calls. Two shapes:
 * `steady`, one event every 1/rate s for a call picked in turn (each reaches that call's viewers);
 * `agents`, every call speaking on its own timer at `wordsPerSecond` (jittered), as concurrent
 * calls of a voice agent do. Answers: start, run, stop.
 */
import type { Hub } from "@eventwire/core";
import { serveRequests } from "./ipc.js";
import { payloadMaker } from "./payload.js";
import { scaleHub } from "./scale-hub.js";

let hub: Hub | undefined;
let seq = 0;
const make = payloadMaker(100);
setTimeout(() => process.exit(3), 30 * 60_000).unref();

interface RunRequest {
  shape: "steady" | "agents";
  calls: number;
  /** steady: events per second in all. */
  rate: number;
  /** agents: words per second of each call. */
  wordsPerSecond: number;
  ms: number;
}

/** The call of every event of the current run, by sequence number from its first. */
let published: number[] = [];

function publish(call: number): void {
  published.push(call);
  void hub!.publish({ ...make(seq++), callId: `call-${call}` }).catch(() => {});
}

/** Publishes for `ms`; resolves with the sequence numbers used, [from, to), and each one's call. */
function run({ shape, calls, rate, wordsPerSecond, ms }: RunRequest): Promise<{ from: number; to: number; calls: number[] }> {
  const from = seq;
  const start = performance.now();
  published = [];
  return new Promise((resolve) => {
    const finish = () => resolve({ from, to: seq, calls: published });
    if (shape === "steady") {
      let next = 0;
      const tick = () => {
        const elapsed = performance.now() - start;
        if (elapsed >= ms) return finish();
        const due = Math.floor((elapsed * rate) / 1000);
        while (next < due) publish(next++ % calls);
        setTimeout(tick, 1);
      };
      tick();
      return;
    }
    const timers = Array.from({ length: calls }, (_, call) => {
      const every = 1000 / wordsPerSecond;
      const speak = () => {
        if (performance.now() - start >= ms) return;
        publish(call);
        timer = setTimeout(speak, every * (0.5 + Math.random()));
      };
      let timer = setTimeout(speak, Math.random() * every);
      return () => clearTimeout(timer);
    });
    setTimeout(() => {
      for (const stop of timers) stop();
      finish();
    }, ms + 5);
  });
}

serveRequests({
  async start(request) {
    hub = await scaleHub(request.stream as string);
    return { pid: process.pid };
  },
  run: (request) => run(request as unknown as RunRequest),
  async stop() {
    await Promise.race([hub?.close(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    setImmediate(() => process.exit(0));
    return true;
  },
});

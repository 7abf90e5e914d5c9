import type { ContenderInfo, Transport } from "./contender.js";
import { betterSse } from "./better-sse.js";
import { eventwire, eventwireSse, eventwireWs } from "./eventwire.js";
import { sseLimit, sseOneWrite } from "./raw-sse.js";
import { wsLimit, wsNaive } from "./raw-ws.js";
import { socketIo } from "./socket-io.js";

export * from "./contender.js";

/** Every contender of a transport, the limit first (the others' latency runs at half its rate). */
export const contenders: Record<Transport, readonly ContenderInfo[]> = {
  websocket: [wsLimit, wsNaive, eventwireWs, socketIo],
  sse: [sseLimit, eventwireSse, betterSse],
};

/**
 * BENCH_BASELINE_CORE=/path/to/another/core/dist/index.js adds "eventwire@base", that build of the
 * core, beside this one: a before/after of a core change measured side by side in one run.
 */
const baseline = process.env.BENCH_BASELINE_CORE;
if (baseline) {
  const { createHub } = (await import(baseline)) as typeof import("@eventwire/core");
  contenders.websocket = [...contenders.websocket, eventwire("websocket", "eventwire@base", createHub)];
  contenders.sse = [...contenders.sse, eventwire("sse", "eventwire@base", createHub)];
}

/**
 * The burst benchmark's contenders (burst.ts): every contender, and on SSE the one-write-per-event
 * floor, since node:http's own per-tick cork already coalesces the http limit's writes.
 */
export const burstContenders: Record<Transport, readonly ContenderInfo[]> = {
  get websocket() {
    return contenders.websocket;
  },
  get sse() {
    const [limit, ...rest] = contenders.sse;
    return [limit!, sseOneWrite, ...rest];
  },
};

export function contender(transport: Transport, name: string): ContenderInfo {
  const found = burstContenders[transport].find((c) => c.name === name);
  if (!found) throw new Error(`no ${transport} contender named ${JSON.stringify(name)}`);
  return found;
}

import { until, WsClient } from "@eventwire/conformance";
import { connect, LeanSseClient, type Message, type Transport } from "./clients.js";

export interface FlakyReaderOptions {
  /** The events URL (http). */
  base: string;
  /** What scopes the reader: `session=S`, or "" with `headers` naming its grant. */
  query: string;
  headers?: Record<string, string>;
  /** A seeded random source: transports, batch sizes and how each resume is asked for come from it. */
  random: () => number;
  /** How many events the reader must end up with. */
  expected: number;
  /** True once the publisher has published everything. */
  publishingDone: () => boolean;
  /** Largest number of events read on one connection before it is dropped. */
  maxBatch: number;
}

export interface FlakyReaderResult {
  /** Every event received, over every connection, in order. */
  events: Message[];
  /** Control messages (`gap`, say) received, in order. */
  controls: Message[];
  /** How many connections the reader opened. */
  connections: number;
}

/**
 * A reader that drops its connection at random points (after a random number of events, without a
 * closing handshake) and reconnects on a random transport, resuming from the last event it got,
 * by `lastEventId` in the query or, on SSE, the `Last-Event-ID` header. It stops once the publisher
 * is done and it holds `expected` events. Resolves once its first connection is open (start
 * publishing after that); `finished` resolves to everything it received.
 */
export async function startFlakyReader(options: FlakyReaderOptions): Promise<{ finished: Promise<FlakyReaderResult> }> {
  const first = await open(options, undefined);
  return { finished: readThroughDisconnects(options, first) };
}

async function open(options: FlakyReaderOptions, last: string | undefined) {
  const transport: Transport = options.random() < 0.5 ? "sse" : "websocket";
  const headers = { ...options.headers };
  let query = options.query;
  if (last !== undefined) {
    if (transport === "sse" && options.random() < 0.5) headers["last-event-id"] = last;
    else query = [query, `lastEventId=${encodeURIComponent(last)}`].filter(Boolean).join("&");
  }
  return { transport, client: await connect(options.base, transport, query, headers) };
}

async function readThroughDisconnects(options: FlakyReaderOptions, first: Awaited<ReturnType<typeof open>>): Promise<FlakyReaderResult> {
  const { random, expected, publishingDone } = options;
  const events: Message[] = [];
  const controls: Message[] = [];
  let connections = 0;
  let next: typeof first | undefined = first;
  while (!(publishingDone() && events.length >= expected)) {
    const { transport, client } = next ?? (await open(options, events.at(-1)?.id as string | undefined));
    next = undefined;
    connections++;
    const take = 1 + Math.floor(random() * options.maxBatch);
    const ended = () => (client instanceof LeanSseClient ? client.ended : (client as WsClient).closeCode !== undefined);
    await until(
      () => client.events.length >= take || (publishingDone() && events.length + client.events.length >= expected) || ended(),
      `a reader on ${transport} to get ${take} events (has ${client.events.length}, ${events.length} before)`,
      20_000,
    );
    client.close();
    events.push(...client.events);
    controls.push(...client.messages.filter((message) => typeof message.id !== "string"));
  }
  return { events, controls, connections };
}

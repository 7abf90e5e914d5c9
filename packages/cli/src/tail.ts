import { createEventStream, type EventStreamError } from "@eventwire/client";
import { WebSocket } from "ws";
import { formatEvent, formatNotice } from "./format.js";
import type { TailOptions } from "./tail-options.js";

export interface TailOutput {
  /** Events, one line each. */
  out(line: string): void;
  /** The connection's state: connected, reconnecting, gaps, the refusal that ends it. */
  err(line: string): void;
}

/**
 * Streams `options.url` to `output` until `signal` aborts or the server refuses the stream.
 * Resolves with the exit code: 0 after an abort or a 204, 1 after a refusal.
 */
export function tail(options: TailOptions, output: TailOutput, signal: AbortSignal): Promise<number> {
  const stream = createEventStream<Record<string, unknown>>({
    url: options.url,
    transport: options.transport,
    session: options.session,
    events: options.events,
    include: options.include,
    headers: options.headers,
    ...(typeof options.from === "object" ? { lastEventId: options.from.after } : { from: options.from }),
    WebSocket,
  });
  const notice = (text: string) => output.err(formatNotice(text, { color: options.color }));
  stream.on("*", (event: Record<string, unknown>) => {
    if (event.event === "gap") notice(`gap: events after ${String(event.lastEventId)} are no longer retained${event.reason ? ` (${String(event.reason)})` : ""}; what follows is the oldest retained`);
    else if (event.event === "pong" || event.event === "ack") return;
    else output.out(options.json ? JSON.stringify(event) : formatEvent(event, { color: options.color }));
  });
  return new Promise((resolve) => {
    stream.onStatus((status, error?: EventStreamError) => {
      if (status === "connected") notice(`connected to ${options.url} (${options.transport}${stream.lastEventId ? `, resuming after ${stream.lastEventId}` : ""})`);
      else if (status === "reconnecting") notice(`disconnected${error ? `: ${error.message}` : ""}; reconnecting`);
      else if (status === "error") {
        notice(`refused: ${error?.code ?? "error"}: ${error?.message ?? ""}`);
        resolve(1);
        stream.close();
      } else if (status === "closed") resolve(0);
    });
    signal.addEventListener("abort", () => stream.close(), { once: true });
  });
}

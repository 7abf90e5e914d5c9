import type { EventStream, StreamStatus } from "@eventwire/client";

/** Resolves once `condition()` holds, polling every 5 ms; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Records every status a stream goes through. */
export function recordStatuses<Events extends object>(stream: EventStream<Events>): StreamStatus[] {
  const statuses: StreamStatus[] = [];
  stream.onStatus((status) => statuses.push(status));
  return statuses;
}

/** Resolves at the stream's next change to `status` (or now, if it is there). */
export function statusReached<Events extends object>(stream: EventStream<Events>, status: StreamStatus, timeoutMs = 10_000): Promise<void> {
  if (stream.status === status) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for status ${status}; it is ${stream.status}`));
    }, timeoutMs);
    const off = stream.onStatus((next) => {
      if (next !== status) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

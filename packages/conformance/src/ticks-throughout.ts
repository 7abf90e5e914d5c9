import { expect } from "vitest";
import type { StreamClient } from "./harness.js";
import { delay } from "./wait.js";

/**
 * Publishes a tick every `everyMs` while `run` runs (and `publishing()` holds); then each of
 * `clients` must have received every tick, in order: the server stayed up for them throughout.
 */
export async function ticksThroughout(
  clients: readonly StreamClient[],
  publish: (n: number) => Promise<string[]>,
  everyMs: number,
  run: () => Promise<void>,
  publishing: () => boolean = () => true,
): Promise<void> {
  const ids: string[] = [];
  let running = true;
  const ticking = (async () => {
    while (running && publishing()) {
      ids.push(...(await publish(ids.length)));
      await delay(everyMs);
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

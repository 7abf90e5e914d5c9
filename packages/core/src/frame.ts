import type { BusEvent } from "./bus/bus.js";
import { encodeSseEvent } from "./sse/encode.js";

/**
 * One event on its way to clients. Each transport's bytes are built the first time a connection of
 * that transport needs them and then shared by every receiver (SPEC 6: encoded once per transport).
 */
export class Frame {
  readonly id: string;
  readonly name: string;
  readonly session: string | undefined;
  /** The published JSON with `id` added: what a client receives. */
  readonly json: string;
  #sse: Buffer | undefined;
  #ws: Buffer | undefined;

  constructor(event: BusEvent) {
    this.id = event.id;
    this.name = event.name;
    this.session = event.session;
    this.json = `${event.json.slice(0, -1)},"id":${JSON.stringify(event.id)}}`;
  }

  get sse(): Buffer {
    return (this.#sse ??= Buffer.from(encodeSseEvent({ id: this.id, data: this.json })));
  }

  get ws(): Buffer {
    return (this.#ws ??= Buffer.from(this.json));
  }
}

/** A message outside the stream (`pong`, `ack`, `error`, `gap`): no id, never replayed. */
export function controlJson(message: Record<string, unknown>): string {
  return JSON.stringify(message);
}

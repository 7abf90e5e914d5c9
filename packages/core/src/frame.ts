import type { BusEvent } from "./bus/bus.js";
import { routingValue } from "./publish-validation.js";
import { encodeSseEvent, sseEventName } from "./sse/encode.js";

/**
 * One event on its way to clients. Each transport's bytes are built the first time a connection of
 * that transport needs them and then shared by every receiver (docs/protocol.md#load-and-bad-input: encoded once per transport).
 */
export class Frame {
  readonly id: string;
  readonly name: string;
  readonly session: string | undefined;
  /** The published JSON with `id` added: what a client receives. */
  readonly json: string;
  #sse: Buffer | undefined;
  #sseNamed: Buffer | undefined;
  #ws: Buffer | undefined;
  #wsFrame: Buffer | undefined;
  #fields: Record<string, unknown> | undefined;

  constructor(event: BusEvent) {
    this.id = event.id;
    this.name = event.name;
    this.session = event.session;
    this.json = `${event.json.slice(0, -1)},"id":${JSON.stringify(event.id)}}`;
  }

  /**
   * A top-level field's routing value (a declared scope's field). The JSON is parsed the first
   * time a receiver asks, once per event however many connections look.
   */
  field(name: string): string | undefined {
    const fields = (this.#fields ??= JSON.parse(this.json) as Record<string, unknown>);
    return routingValue(Object.hasOwn(fields, name) ? fields[name] : undefined);
  }

  get sse(): Buffer {
    return (this.#sse ??= Buffer.from(encodeSseEvent({ id: this.id, data: this.json })));
  }

  /**
   * The SSE bytes with an `event:` line naming the event, for streams that asked for event lines
   * (docs/protocol.md#wire-protocol, "Event lines"). A name SSE cannot carry on a line of its own
   * (CR, LF or NUL in it) is sent without one.
   */
  get sseNamed(): Buffer {
    return (this.#sseNamed ??= Buffer.from(encodeSseEvent({ id: this.id, event: sseEventName(this.name), data: this.json })));
  }

  get ws(): Buffer {
    return (this.#ws ??= Buffer.from(this.json));
  }

  /** The whole WebSocket text frame (header and JSON in one Buffer), for sockets written directly. */
  get wsFrame(): Buffer {
    return (this.#wsFrame ??= wsTextFrame(this.ws));
  }
}

/** An unmasked, final text frame as a server sends it (RFC 6455, 5.2). */
function wsTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, header);
  return frame;
}

/** A message outside the stream (`pong`, `ack`, `error`, `gap`): no id, never replayed. */
export function controlJson(message: Record<string, unknown>): string {
  return JSON.stringify(message);
}

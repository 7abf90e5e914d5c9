import type { EventEmitter } from "node:events";

/** Turns what a source emitted into an event to publish, or `undefined` to skip it. */
export type SourceMap = (name: string, payload: unknown) => { event: string; [field: string]: unknown } | undefined;

export interface AttachOptions {
  /** The emitter's event names to publish. Default: every event it emits. */
  events?: readonly string[];
  /** Shapes each emitted event. Default: `{ event: name, ...payload }`. */
  map?: SourceMap;
}

export interface PipeOptions<T> {
  /** Shapes each item. Default: the item itself, which must be an event object. */
  map?: (item: T) => { event: string; [field: string]: unknown } | undefined;
}

/** `{ event: name, ...payload }`; a payload that is not an object goes in `data`, an Error's message in `message`. */
export function eventFromEmit(name: string, payload: unknown): { event: string; [field: string]: unknown } {
  if (payload instanceof Error) return { event: name, message: payload.message };
  if (typeof payload === "object" && payload !== null && !Array.isArray(payload)) {
    const event = { event: name, ...payload };
    event.event = name; // the emitted name wins over a payload field of the same name, and stays first
    return event;
  }
  return payload === undefined ? { event: name } : { event: name, data: payload };
}

/**
 * Calls `publish` for each event `emitter` emits (all of them, or the named ones) until the
 * returned function is called.
 */
export function attachEmitter(emitter: EventEmitter, options: AttachOptions, publish: (event: unknown) => void): () => void {
  const map = options.map ?? eventFromEmit;
  const forward = (name: string, payload: unknown) => {
    const event = map(name, payload);
    if (event !== undefined) publish(event);
  };
  if (options.events) {
    const listeners = options.events.map((name) => [name, (payload: unknown) => forward(name, payload)] as const);
    for (const [name, listener] of listeners) emitter.on(name, listener);
    return () => {
      for (const [name, listener] of listeners) emitter.off(name, listener);
    };
  }
  // No list: see every emit. The emitter's own `emit` is wrapped and restored on detach.
  const original = emitter.emit;
  const wrapped = function (this: EventEmitter, name: string | symbol, ...args: unknown[]): boolean {
    if (typeof name === "string") forward(name, args[0]);
    return original.call(this, name, ...args);
  };
  emitter.emit = wrapped;
  return () => {
    if (emitter.emit === wrapped) emitter.emit = original;
  };
}

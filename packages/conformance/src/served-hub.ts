import type { ActionHandler, HubStats, RevokeSelector } from "@eventwire/core";
import type { EventEmitter } from "node:events";

/**
 * The hub as the conformance cases use it: a hub of this process (`createHub`), or one in another
 * runtime's process driven from here (remote/runtime-process.ts), where `stats()` is a promise.
 * Cases await `stats()` either way.
 */
export interface ServedHub {
  publish(event: { event: string; [field: string]: unknown }): Promise<string>;
  stats(): HubStats | Promise<HubStats>;
  cursor(): Promise<string>;
  close(): Promise<void>;
  attach(emitter: EventEmitter, options: { events: readonly string[] }): () => void;
  pipe<T>(source: AsyncIterable<T>, options?: { map?: (item: T) => { event: string; [field: string]: unknown } | undefined }): Promise<void>;
  action(name: string, handler: ActionHandler): void;
  revoke(selector: RevokeSelector): Promise<void>;
  readonly bus: { compareIds(a: string, b: string): number };
}

import type { EventStreamError } from "./event-stream-error.js";
import type { Ref } from "./event-types.js";

/** The life of a stream, as `onStatus` reports it. */
export type StreamStatus = "idle" | "connecting" | "connected" | "reconnecting" | "error" | "closed";

/** An event as parsed off the wire, before typing. */
export interface WireEvent {
  event: string;
  id?: string;
  ref?: Ref;
  [field: string]: unknown;
}

/** What a source of events (a connection loop, or another tab's) reports to its stream. */
export interface StreamSink {
  /** Where a new connection resumes. */
  resumeId(): string | undefined;
  deliver(event: WireEvent): void;
  setStatus(status: StreamStatus, error?: EventStreamError): void;
  /** These action messages went out on a connection that dropped before their reply. */
  lost(refs: readonly Ref[], error: EventStreamError): void;
}

/** Where a stream's events come from: its own connection, or a connection shared by tabs. */
export interface StreamSource {
  start(): void;
  /** Sends one action message now, or as soon as a connection is open. */
  send(text: string, ref: Ref): void;
  close(): void;
}

/** An event's JSON text as a WireEvent, or undefined when it is not an object with a string `event`. */
export function parseWireEvent(text: string, sseId?: string): WireEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const event = value as WireEvent;
  if (typeof event.event !== "string") return undefined;
  if (event.id === undefined && sseId !== undefined && sseId !== "") event.id = sseId;
  return event;
}

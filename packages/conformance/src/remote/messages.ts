/**
 * What a test process and a hub process say to each other, one JSON object per line (see
 * remote-hub.ts and hub-host.ts). Requests carry an `id` and get one reply; a call from the hub
 * process back to the test (its `authorize`, an action handler, the next item of a pipe) carries a
 * `call` and gets one `reply`; notes need no answer. Lines arrive in order, so a note sent before a
 * reply (an action's `ctx.send`, say) takes effect before it.
 */
import { ActionError, type EventwireRequest, type HubStats } from "@eventwire/core";

/** The test's hub options with functions left out: `authorize: "remote"` is answered by the test. */
export type WireHubOptions = Record<string, unknown> & { authorize?: boolean | "remote" };

export type WireError = { message: string; name?: string; code?: string };

export type ParentRequest =
  | { id: number; op: "open"; options: WireHubOptions }
  | { id: number; op: "publish"; hub: number; event: Record<string, unknown> }
  | { id: number; op: "stats"; hub: number }
  | { id: number; op: "cursor"; hub: number }
  | { id: number; op: "close"; hub: number }
  | { id: number; op: "revoke"; hub: number; selector: Record<string, unknown> }
  | { id: number; op: "stop-server"; hub: number }
  | { id: number; op: "pipe"; hub: number; source: number }
  | { id: number; op: "action"; hub: number; name: string };

export type ParentNote =
  | { op: "attach"; hub: number; source: number; events: readonly string[] }
  | { op: "emit"; source: number; name: string; payload: unknown }
  | { op: "detach"; source: number }
  | { op: "ctx-send"; connection: string; event: Record<string, unknown> };

export type ParentReply = { reply: number; result?: unknown; error?: WireError };

export type ChildReply = { id: number; result?: unknown; error?: WireError };

export type ChildCall =
  | { call: number; op: "authorize"; hub: number; request: EventwireRequest }
  | { call: number; op: "action"; hub: number; name: string; message: unknown; ctx: { connectionId: string; sessionId: string | undefined; principal: unknown } }
  | { call: number; op: "next"; source: number };

export type ChildNote =
  | { op: "ready" }
  | { op: "log"; hub: number; level: "warn" | "error"; message: string }
  | { op: "connection-closed"; connection: string }
  | { op: "pipe-returned"; source: number };

/** `Omit` over each member of a union: a request or call without its `id` / `call`. */
export type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;

export type OpenResult = { hub: number; url: string };
export type { HubStats };

/** An error as it crosses the boundary: message, name, and an ActionError's code. */
export function wireError(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { message: error.message, name: error.name, ...(typeof code === "string" ? { code } : {}) };
  }
  return { message: String(error) };
}

/** The error again on the other side: an ActionError keeps its code (the client sees it), others their message. */
export function fromWire(error: WireError): Error {
  const thrown = error.code !== undefined ? new ActionError(error.code, error.message) : new Error(error.message);
  if (error.name && error.code === undefined) thrown.name = error.name;
  return thrown;
}

/** Splits a byte stream into lines and hands each parsed JSON line to `onMessage` (others to `onOther`). */
export function lineReader(onMessage: (message: Record<string, unknown>) => void, onOther: (line: string) => void): (chunk: string | Uint8Array) => void {
  let pending = "";
  const decoder = new TextDecoder();
  return (chunk) => {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() === "") continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        onOther(line);
        continue;
      }
      if (typeof message === "object" && message !== null && !Array.isArray(message)) onMessage(message as Record<string, unknown>);
      else onOther(line);
    }
  };
}

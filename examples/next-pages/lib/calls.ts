import type { AnyEvent } from "@eventwire/client";
import type { AgentEvents } from "./agent-events";

/** One line of a call's transcript. */
export type Line =
  | { kind: "caller"; text: string }
  | { kind: "tool"; toolCallId: string; name: string; args: Record<string, unknown>; result?: unknown; answered: boolean }
  | { kind: "bot"; turn: number; words: string[] };

export interface Call {
  callId: string;
  from: string;
  agent: string;
  live: boolean;
  ending?: { reason: string; durationMs: number };
  lines: Line[];
}

/** The calls on screen, newest first (at most {@link maxCalls}). */
export type Calls = Call[];

export const maxCalls = 6;
export const noCalls: Calls = [];

/**
 * Folds one stream event into the calls (the reducer of `useEventStream`). A call is drawn from its
 * `call.started`; a `gap` (the hub could not resume exactly, or the page asked for the history)
 * starts over, since the events that follow are the hub's retained history.
 */
export function reduceCalls(calls: Calls, event: AnyEvent<AgentEvents>): Calls {
  switch (event.event) {
    case "gap":
      return noCalls;
    case "call.started": {
      const call: Call = { callId: event.callId, from: event.from, agent: event.agent, live: true, lines: [] };
      return [call, ...calls.filter((other) => other.callId !== event.callId)].slice(0, maxCalls);
    }
    case "user.message":
      return update(calls, event.callId, (call) => ({ ...call, lines: [...call.lines, { kind: "caller", text: event.text }] }));
    case "llm.tool_call":
      return update(calls, event.callId, (call) => ({
        ...call,
        lines: [...call.lines, { kind: "tool", toolCallId: event.toolCallId, name: event.name, args: event.args, answered: false }],
      }));
    case "llm.tool_result":
      return update(calls, event.callId, (call) => ({
        ...call,
        lines: call.lines.map((line) => (line.kind === "tool" && line.toolCallId === event.toolCallId ? { ...line, result: event.result, answered: true } : line)),
      }));
    case "bot.word":
      return update(calls, event.callId, (call) => {
        const last = call.lines.at(-1);
        if (last?.kind === "bot" && last.turn === event.turn) {
          return { ...call, lines: [...call.lines.slice(0, -1), { ...last, words: [...last.words, event.word] }] };
        }
        return { ...call, lines: [...call.lines, { kind: "bot", turn: event.turn, words: [event.word] }] };
      });
    case "call.ended":
      return update(calls, event.callId, (call) => ({ ...call, live: false, ending: { reason: event.reason, durationMs: event.durationMs } }));
    default:
      return calls;
  }
}

function update(calls: Calls, callId: string, change: (call: Call) => Call): Calls {
  const index = calls.findIndex((call) => call.callId === callId);
  if (index === -1) return calls;
  const next = calls.slice();
  next[index] = change(calls[index]!);
  return next;
}

/** `{ location: "Lisbon" }` → `location: "Lisbon"`. */
export function formatFields(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  return Object.entries(value)
    .map(([key, field]) => `${key}: ${JSON.stringify(field)}`)
    .join(", ");
}

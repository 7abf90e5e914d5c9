import type { AnyEvent } from "@eventwire/client";
import type { AgentEvents } from "./agent-events";

/** One line of a call's transcript: what the caller said, a tool the agent ran, or the agent's reply. */
export type Line =
  | { kind: "caller"; text: string }
  | { kind: "tool"; toolCallId: string; name: string; result?: unknown; answered: boolean }
  | { kind: "bot"; turn: number; words: string[] };

export interface Call {
  callId: string;
  from: string;
  agent: string;
  live: boolean;
  lines: Line[];
}

/** At most this many calls on screen, newest first. */
const maxCalls = 6;
export const noCalls: Call[] = [];

/**
 * Folds one stream event into the calls (the reducer of `useEventStream`). A call is drawn from its
 * `call.started`; a `gap` (a resume that could not be exact) starts over, since what follows it is
 * the hub's retained history (docs/protocol.md#resume).
 */
export function reduceCalls(calls: Call[], event: AnyEvent<AgentEvents>): Call[] {
  switch (event.event) {
    case "gap":
      return noCalls;
    case "call.started":
      return [{ callId: event.callId, from: event.from, agent: event.agent, live: true, lines: [] }, ...calls.filter((call) => call.callId !== event.callId)].slice(0, maxCalls);
    case "user.message":
      return withCall(calls, event.callId, (call) => ({ ...call, lines: [...call.lines, { kind: "caller", text: event.text }] }));
    case "llm.tool_call":
      return withCall(calls, event.callId, (call) => ({ ...call, lines: [...call.lines, { kind: "tool", toolCallId: event.toolCallId, name: event.name, answered: false }] }));
    case "llm.tool_result":
      return withCall(calls, event.callId, (call) => ({
        ...call,
        lines: call.lines.map((line) => (line.kind === "tool" && line.toolCallId === event.toolCallId ? { ...line, result: event.result, answered: true } : line)),
      }));
    case "bot.word":
      return withCall(calls, event.callId, (call) => {
        const last = call.lines.at(-1);
        if (last?.kind === "bot" && last.turn === event.turn) return { ...call, lines: [...call.lines.slice(0, -1), { ...last, words: [...last.words, event.word] }] };
        return { ...call, lines: [...call.lines, { kind: "bot", turn: event.turn, words: [event.word] }] };
      });
    case "call.ended":
      return withCall(calls, event.callId, (call) => ({ ...call, live: false }));
    default:
      return calls;
  }
}

function withCall(calls: Call[], callId: string, change: (call: Call) => Call): Call[] {
  return calls.map((call) => (call.callId === callId ? change(call) : call));
}

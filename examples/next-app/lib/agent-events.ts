/**
 * The voice agent's events, as `createEventStream<AgentEvents>` types them: a wrong event name or
 * field in the page does not compile. These are the events `FakeAgent` replays (test-fixtures/).
 */
export interface AgentEvents {
  "call.started": { callId: string; orgId: string; from: string; to: string; agent: string };
  "user.message": { callId: string; orgId: string; text: string };
  "llm.tool_call": { callId: string; orgId: string; toolCallId: string; name: string; args: Record<string, unknown> };
  /** Opt-in: sent only to streams that ask with `include=llm.tool_result`. */
  "llm.tool_result": { callId: string; orgId: string; toolCallId: string; name: string; result: unknown };
  "bot.word": { callId: string; orgId: string; word: string; index: number; turn: number };
  "call.ended": { callId: string; orgId: string; reason: string; durationMs: number };
  "agent.status": { agent: string; status: string };
  "system.metrics": { active: number; cpu: number; heapMb: number };
}

/** The events that belong to a call: each carries its `callId`, and its customer's `orgId`. */
export type CallEventName = Exclude<keyof AgentEvents, "agent.status" | "system.metrics">;

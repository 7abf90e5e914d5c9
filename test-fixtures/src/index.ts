/**
 * Scripted agent event traces and a fake agent that replays them, shared by Eventwire's tests,
 * examples and benchmarks.
 *
 * - {@link overlappingCalls}, {@link chatConversation}: hand-written traces (voice calls, chat).
 * - {@link FakeAgent}: an EventEmitter that replays a trace with its timing, once or in a loop.
 * - {@link randomInterleaving}: large seeded random traces for load and isolation tests.
 * - {@link traceEvents}, {@link withSessionKey}, {@link renewIds}: helpers over traces.
 *
 * @module
 */
export {
  chatConversation,
  eventNames,
  overlappingCalls,
  renewIds,
  sessionIds,
  sessionKeyOf,
  traceEvents,
  traces,
  withSessionKey,
  type AgentEvent,
  type Trace,
  type TraceStep,
} from "./traces.js";
export { FakeAgent, type FakeAgentOptions } from "./fake-agent.js";
export { randomInterleaving, seededRandom, type RandomInterleavingOptions } from "./random.js";

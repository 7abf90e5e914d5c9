import type { EventEmitter } from "node:events";
import type { AnyEvent } from "@eventwire/client";
import type { AgentEvents } from "./agent-events";
import { noCalls, reduceCalls, type Calls } from "./calls";

/** The calls so far, as the page draws them, folded on the server from the agent's events. */
export interface CallsSoFar {
  readonly calls: Calls;
}

/**
 * Folds every event `agent` emits of `names` into the calls so far (with the page's own reducer),
 * synchronously, in the emit that also publishes it to the hub. `getServerSideProps` renders this
 * state and hands the page `await hub.cursor()` to continue from: see `callsAndCursor` in
 * call-hub.ts for why the two correspond exactly.
 */
export function foldCalls(agent: EventEmitter, names: readonly string[]): CallsSoFar {
  const soFar = { calls: noCalls };
  for (const name of names) {
    agent.on(name, (payload: object) => {
      soFar.calls = reduceCalls(soFar.calls, { ...payload, event: name } as AnyEvent<AgentEvents>);
    });
  }
  return soFar;
}

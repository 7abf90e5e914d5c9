import { createHub, type Hub } from "@eventwire/core";
import { globalHub } from "@eventwire/next-pages";
import { FakeAgent } from "@eventwire/test-fixtures";
import type { Calls } from "./calls";
import { foldCalls, type CallsSoFar } from "./calls-so-far";

/** Where the server-side fold of the calls is kept: on `globalThis`, beside the hub, for the same reason. */
const soFarKey = Symbol.for("eventwire.example.next-pages.calls-so-far");
const store = globalThis as { [soFarKey]?: CallsSoFar };

/**
 * The process's one hub, kept on `globalThis`: Next evaluates the API route, this page and
 * instrumentation.ts in separate bundles, and again on every dev reload; `globalHub` makes the hub
 * (and starts the demo agent) once, whichever asks first.
 */
export function callHub(): Hub {
  return globalHub("live-calls", () => {
    const hub = createHub({
      sessionKey: "callId", // `/api/events?session=CA_1001` streams one call
      optIn: ["llm.tool_result"], // sent only to connections that `include` it
      history: { maxEvents: 5_000, maxAgeMs: 60_000 },
      // A demo: anyone may watch every call. A real app returns the caller's sessions (docs/protocol.md#sessions-scopes-and-authorization).
      authorize: true,
    });
    // The demo agent: a scripted voice agent replaying overlapping calls forever. Set DEMO_AGENT=off
    // to leave it out, and attach your own agent's EventEmitter the same way.
    if (process.env.DEMO_AGENT !== "off") {
      const agent = new FakeAgent({ loop: true });
      hub.attach(agent, { events: agent.events });
      store[soFarKey] = foldCalls(agent, agent.events);
      // Started once the bus is open, so that each event is published (and given its id) in the
      // emit itself, not queued behind the opening: see `callsAndCursor`.
      void hub.ready().then(() => agent.start());
    }
    return hub;
  });
}

/**
 * The calls so far and the id the page's stream continues after, as of one moment, for a page
 * rendered on the server (docs/protocol.md#resume, "Late join"): the client resumes from `cursor`
 * and gets every event after the rendered state, none before it.
 *
 * Why they correspond exactly: the agent's emit runs, synchronously and in one go, the hub's
 * listener (`hub.attach`), which publishes to the in-memory bus, and the bus gives the event the
 * next id then and there; and the fold's listener, which applies the same event. So at any moment
 * between two emits, the fold holds exactly the events with ids up to the bus's newest. `cursor()`
 * reads that newest id, and the state is read right after its `await`: only promise callbacks run
 * in between, and the agent emits from timers, never from one. Nothing else in this process
 * publishes. (With a bus shared by several processes this does not hold: read the history up to
 * the cursor instead, or render nothing and start the page `from: "earliest"`.)
 */
export async function callsAndCursor(): Promise<{ calls: Calls; cursor: string }> {
  const hub = callHub();
  const cursor = await hub.cursor();
  return { calls: store[soFarKey]?.calls ?? [], cursor };
}

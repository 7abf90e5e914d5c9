import { createHub, type Hub } from "@eventwire/core";
import { globalHub } from "@eventwire/next-app";
import { FakeAgent } from "@eventwire/test-fixtures";

/**
 * The process's one hub, kept on `globalThis`: Next evaluates the route handler and
 * instrumentation.ts in separate bundles, and again on every dev reload; `globalHub` makes the hub
 * (and starts the demo agent) once, whichever asks first. A function, not a module-level hub, so
 * that `next build`, which loads the route's module, starts no agent.
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
      agent.start();
    }
    return hub;
  });
}

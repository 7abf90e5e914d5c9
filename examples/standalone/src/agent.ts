import { FakeAgent } from "@eventwire/test-fixtures";
import { createCallHub, onShutdown } from "./call-hub.js";

// The agent process: no web server, no port. It publishes what the agent emits to the shared bus;
// the web processes serve it. Restart it (or deploy it) without touching the web app.
const hub = createCallHub();

// A scripted voice agent replaying overlapping calls forever. Yours is an EventEmitter too.
const agent = new FakeAgent({ loop: true });
hub.attach(agent, { events: agent.events });
agent.start();
console.log(`agent: publishing calls to Redis stream "${process.env.EVENTWIRE_STREAM ?? "eventwire-calls"}"`);

onShutdown(async () => {
  agent.stop();
  await hub.close(); // waits for what was published to reach Redis, then disconnects
});

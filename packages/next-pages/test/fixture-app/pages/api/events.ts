import type { Hub } from "@eventwire/core";
import { eventwire } from "@eventwire/next-pages";

// The conformance suite makes a hub per test; running this app in its own process, it puts the hub
// it is testing here before each test. The route asks for the hub on every request and upgrade.
const fixture = globalThis as { __eventwireTestHub?: Hub };

export default eventwire(() => {
  if (!fixture.__eventwireTestHub) throw new Error("no test hub installed");
  return fixture.__eventwireTestHub;
});

export const config = { api: { bodyParser: false } };

import type { Hub } from "@eventwire/core";
import { eventwire } from "@eventwire/next-app";

// The conformance suite makes a hub per test and, sharing this app's process, puts the hub it is
// testing here before each test. The route asks for the hub on every request.
const fixture = globalThis as { __eventwireTestHub?: Hub };

export const { GET, OPTIONS } = eventwire(() => {
  if (!fixture.__eventwireTestHub) throw new Error("no test hub installed");
  return fixture.__eventwireTestHub;
});

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

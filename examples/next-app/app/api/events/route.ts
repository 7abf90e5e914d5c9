import { eventwire } from "@eventwire/next-app";
import { callHub } from "../../../lib/call-hub";

// GET /api/events: SSE (an App-router route cannot upgrade to WebSocket; see the README). The hub
// is made on first use, not when `next build` loads this module.
export const { GET, OPTIONS } = eventwire(callHub);

export const dynamic = "force-dynamic"; // a stream: never cached or prerendered
export const runtime = "nodejs"; // the hub needs Node's APIs, not the Edge runtime

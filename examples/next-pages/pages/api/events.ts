import { eventwire } from "@eventwire/next-pages";
import { callHub } from "../../lib/call-hub";

// GET /api/events: SSE, or a WebSocket on the same path. The hub is made on first use, not when
// `next build` loads this module.
export default eventwire(callHub);

// A stream reads no body, and outlives Next's 4 MB response warning.
export const config = { api: { bodyParser: false, responseLimit: false } };

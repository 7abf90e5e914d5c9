import type { Capabilities } from "@eventwire/conformance";

/**
 * How Hono routes targets near the stream's path, on every runtime: the path of the WHATWG URL,
 * dot segments resolved (`/x/../events` is `/events`) and unreserved characters decoded
 * (`/%65vents` is `/events`).
 */
export const honoRouting: Capabilities["routing"] = { "percent-encoded": "stream", "dot segments": "stream" };

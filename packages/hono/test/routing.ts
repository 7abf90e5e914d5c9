import type { Capabilities } from "@eventwire/conformance";

/**
 * How Hono routes targets near the stream's path, on Node and Bun: the path of the WHATWG URL,
 * dot segments resolved (`/x/../events` is `/events`) and unreserved characters decoded
 * (`/%65vents` is `/events`).
 */
export const honoRouting: Capabilities["routing"] = { "percent-encoded": "stream", "dot segments": "stream" };

/** On Deno, whose request URL keeps the target's dot segments: `/x/../events` is another path (404). */
export const honoRoutingOnDeno: Capabilities["routing"] = { "percent-encoded": "stream" };

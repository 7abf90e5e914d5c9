import http from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveHub, type ServedHub } from "../src/hubs.js";
import { rawGet } from "../src/raw-http.js";
import { servers } from "../src/servers.js";

/**
 * Issue 8, "Hostile input": Cross-Site WebSocket Hijacking (a page on a foreign origin opening a
 * socket with the victim's cookies) is refused in the handshake, however the Origin is dressed up;
 * and the SSE CORS headers never pair `*` with credentials, nor echo an origin that is not allowed.
 */
const allowed = "https://app.example.com";
const restrictedOrigins = [allowed, "https://admin.example.com"];
const upgrade = ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"];

/** Origin header lines as sent, byte for byte, and the SSE status / WebSocket handshake status every server must answer. */
const origins: [what: string, lines: string[], sse: number, ws: number][] = [
  ["a foreign origin", ["Origin: https://evil.example.com"], 403, 403],
  ["the allowed origin as a prefix of another host", [`Origin: ${allowed}.evil.com`], 403, 403],
  ["the allowed host with an explicit port", [`Origin: ${allowed}:443`], 403, 403],
  ["the allowed origin in upper case", [`Origin: ${allowed.toUpperCase()}`], 403, 403],
  ["the opaque origin null (sandboxed iframes, file:)", ["Origin: null"], 403, 403],
  ["the allowed origin with a path", [`Origin: ${allowed}/`], 403, 403],
  ["two Origin headers, allowed first", [`Origin: ${allowed}`, "Origin: https://evil.example.com"], 403, 403],
  ["two Origin headers, allowed last", ["Origin: https://evil.example.com", `Origin: ${allowed}`], 403, 403],
  ["a latin1 look-alike", ["Origin: https://app.ex\u00e4mple.com"], 403, 403],
  // Bytes no HTTP/1.1 header value may hold: Node's parser refuses the request before the hub sees it.
  ["a NUL after the allowed origin", [`Origin: ${allowed}\u0000`], 400, 400],
  ["a bare LF smuggling a header after a foreign origin", ["Origin: https://evil.example.com\nX-Evil: 1"], 400, 400],
  ["a bare LF after the allowed origin", [`Origin: ${allowed}\nX-Evil: 1`], 400, 400],
  ["a bare CR", [`Origin: ${allowed}\rX-Evil: 1`], 400, 400],
  ["a folded line adding the allowed origin to a foreign one", ["Origin: https://evil.example.com", ` ${allowed}`], 400, 400],
  // Optional whitespace around a value is not part of it (RFC 9110 5.5): this is the allowed origin.
  ["the allowed origin with a trailing tab", [`Origin: ${allowed}\t`], 200, 101],
  ["the allowed origin", [`Origin: ${allowed}`], 200, 101],
  // No Origin: not a browser page, so not a cross-site request; authorize decides.
  ["no Origin at all", [], 200, 101],
];

describe.each(servers)("CSWSH and CORS on $name", (factory) => {
  let restricted: ServedHub;
  let open: ServedHub;
  beforeAll(async () => {
    // authorize: `x-deny` refuses (401), `x-sessions` limits, as in every test of this suite.
    const authorize = (request: { headers: Record<string, string | string[] | undefined> }) =>
      request.headers["x-deny"] !== undefined ? false : typeof request.headers["x-sessions"] === "string" ? { sessions: request.headers["x-sessions"].split(",") } : true;
    restricted = await serveHub(factory, { allowedOrigins: restrictedOrigins, authorize });
    open = await serveHub(factory, { authorize });
  });
  afterAll(async () => {
    await restricted.close();
    await open.close();
  });

  it.each(origins)("%s: SSE %i, WebSocket handshake %i", async (_what, lines, sse, ws) => {
    const stream = await rawGet(restricted.server.url, lines);
    const socket = await rawGet(restricted.server.url, [...upgrade, ...lines]);
    expect([stream.status, socket.status]).toEqual([sse, ws]);
    // A refused origin learns nothing it could read from a page: no CORS grant of any kind.
    if (sse !== 200) expect(stream.headers["access-control-allow-origin"]).toBeUndefined();
    expect(restricted.hub.stats().connections.websocket).toBeLessThanOrEqual(1);
  });

  it("CORS, for any origin, request and refusal (a property): exactly the grant the origin is owed, never * with credentials, never an origin that is not allowed", async () => {
    const origin = fc.oneof(
      fc.constantFrom(...restrictedOrigins, "https://evil.example.com", "null", `${allowed}.evil.com`),
      // Any value a client could put in the header: visible ASCII, no surrounding whitespace.
      fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }),
    );
    const request = fc.constantFrom<{ method: string; path: string; headers: Record<string, string> }>(
      { method: "GET", path: "", headers: {} },
      { method: "GET", path: "", headers: { "x-deny": "1" } },
      { method: "GET", path: "?session=S2", headers: { "x-sessions": "S1" } },
      { method: "GET", path: "?events=bad%20name", headers: {} },
      { method: "OPTIONS", path: "", headers: { "access-control-request-method": "GET", "access-control-request-headers": "authorization, last-event-id" } },
      { method: "OPTIONS", path: "", headers: { "access-control-request-method": "GET" } },
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.option(origin, { nil: undefined }), request, async (useRestricted, origin, { method, path, headers }) => {
        const served = useRestricted ? restricted : open;
        const response = await send(`${served.server.url}${path}`, method, { ...headers, ...(origin === undefined ? {} : { origin }) });
        const sent = Object.fromEntries(Object.entries(response.headers).filter(([name]) => name.startsWith("access-control-")));
        const owed = owedCors(useRestricted, origin, method, headers["access-control-request-headers"]);
        expect({ status: response.status, cors: sent }).toEqual({ status: response.status, cors: owed.headers });
        // A grant that depends on the Origin says so, for caches; one that does not may leave it out.
        if (owed.varyOrigin) expect(String(response.headers.vary).toLowerCase().split(/\s*,\s*/)).toContain("origin");
        expect(sent["access-control-allow-origin"] === "*" && sent["access-control-allow-credentials"] !== undefined).toBe(false);
      }),
      { numRuns: 150, seed: 9 },
    );
  });
});

/**
 * The CORS headers a response owes (docs/protocol.md#sessions-scopes-and-authorization): none without an Origin; `*` without
 * credentials from a hub with no `allowedOrigins`; the origin itself with credentials from one that
 * allows it, and no grant (only `Vary: Origin`) from one that does not. A preflight adds methods,
 * the headers asked for (else `last-event-id, authorization`) and a max age.
 */
function owedCors(restrictedHub: boolean, origin: string | undefined, method: string, requestedHeaders: string | undefined): { headers: Record<string, string>; varyOrigin: boolean } {
  if (origin === undefined) return { headers: {}, varyOrigin: false };
  if (restrictedHub && !restrictedOrigins.includes(origin)) return { headers: {}, varyOrigin: true };
  const grant: Record<string, string> = restrictedHub ? { "access-control-allow-origin": origin, "access-control-allow-credentials": "true" } : { "access-control-allow-origin": "*" };
  if (method !== "OPTIONS") return { headers: grant, varyOrigin: restrictedHub };
  return {
    headers: { ...grant, "access-control-allow-methods": "GET, OPTIONS", "access-control-allow-headers": requestedHeaders ?? "last-event-id, authorization", "access-control-max-age": "600" },
    varyOrigin: restrictedHub,
  };
}

/** One request; resolves with its status and headers, the body (an SSE stream, say) left unread. */
function send(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
      request.destroy();
    });
    request.on("error", (error) => (request.destroyed ? undefined : reject(error)));
    request.end();
  });
}

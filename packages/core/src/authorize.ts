/** A framework-neutral view of the request that opens a stream (docs/protocol.md#sessions-scopes-and-authorization). */
export interface EventwireRequest {
  method: string;
  /** As the client sent it: path and query. */
  url: string;
  /** Lower-case names, as Node's `IncomingMessage.headers`. */
  headers: Record<string, string | string[] | undefined>;
  remoteAddress?: string | undefined;
  /** The framework's own request object (IncomingMessage, Hono's Context, ...), for cookies and the like. */
  raw?: unknown;
}

/** What `authorize` may grant besides `true` (everything) or `false` (unauthenticated). */
export interface Grant {
  /** The only sessions this connection may see. */
  sessions: readonly string[];
  /** Handed to action handlers as `ctx.principal`. */
  principal?: unknown;
}

export type Authorize = (request: EventwireRequest) => boolean | Grant | Promise<boolean | Grant>;

const refusalBrand = Symbol.for("eventwire.refusal");

/** Why a stream is refused, with the status SSE answers and the code a WebSocket closes with (docs/protocol.md#refusal-and-close-codes). */
export class Refusal {
  /**
   * `instanceof Refusal` holds for a refusal made by any copy of this module: an app bundled by
   * Next.js (or with two versions of core installed) may hand a hub of one copy to an adapter
   * that checks with another, and a refusal mistaken for an admission would open the stream.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as { [refusalBrand]?: unknown })[refusalBrand] === true;
  }

  get [refusalBrand](): true {
    return true;
  }

  constructor(
    readonly status: 400 | 401 | 403 | 405 | 500 | 503,
    readonly code: string,
    readonly message: string,
  ) {}

  get closeCode(): number {
    return closeCodes[this.status];
  }

  /** `{ "error": code, "message": text }`, the body of a refused SSE request. */
  get body(): string {
    return JSON.stringify({ error: this.code, message: this.message });
  }

  /** The response headers of a refused SSE request; a 503 says when to retry, jittered so clients spread out. */
  headers(retryMs: number): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
    if (this.status === 405) headers.allow = "GET, OPTIONS";
    if (this.status === 503) headers["retry-after"] = String(Math.ceil((retryMs * (1 + Math.random())) / 1000));
    return headers;
  }

  /** The answer of a refused WebSocket handshake, written to the socket before any upgrade. */
  handshakeResponse(): string {
    return `HTTP/1.1 ${this.status} ${reasonPhrases[this.status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n${this.status === 405 ? "Allow: GET, OPTIONS\r\n" : ""}Content-Length: ${Buffer.byteLength(this.body)}\r\n\r\n${this.body}`;
  }

  /** The WebSocket close reason: at most 123 bytes, as RFC 6455 allows. */
  get reason(): string {
    const reason = `${this.code}: ${this.message}`;
    return Buffer.byteLength(reason) <= 123 ? reason : this.code;
  }
}

const reasonPhrases = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 405: "Method Not Allowed", 500: "Internal Server Error", 503: "Service Unavailable" } as const;
// A WebSocket always opens with a GET, so a 405 reaches a socket only from code that hands `hub.ws` a
// request of another method: a bad request.
const closeCodes = { 400: 4400, 401: 4401, 403: 4403, 405: 4400, 500: 1011, 503: 1013 } as const;

/** Whether a request's `Origin` may connect: requests without one (not from a browser page) may. */
export function originAllowed(allowed: ReadonlySet<string> | undefined, origin: string | string[] | undefined): boolean {
  if (allowed === undefined || origin === undefined) return true;
  return typeof origin === "string" && allowed.has(origin);
}

/** The sessions a connection sees: `undefined` for all (and events without a session). */
export type Scope = readonly string[] | undefined;

/** Turns what `authorize` answered and the session asked for into a scope, or a refusal. */
export function scopeOf(grant: boolean | Grant, requested: string | undefined): Scope | Refusal {
  if (grant === false) return new Refusal(401, "unauthenticated", "authorization is required to open this stream");
  if (grant === true) return requested === undefined ? undefined : [requested];
  if (typeof grant !== "object" || grant === null || !Array.isArray(grant.sessions)) {
    return new Refusal(500, "authorize_failed", "authorize returned neither a boolean nor { sessions: [...] }");
  }
  if (requested === undefined) return grant.sessions.map(String);
  if (grant.sessions.includes(requested)) return [requested];
  return new Refusal(403, "forbidden", `session ${JSON.stringify(requested)} is not allowed for this connection`);
}

import { readScopeValues, type ScopeValues } from "./scopes.js";

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

/**
 * What `authorize` may grant besides `true` (everything) or `false` (unauthenticated). Every field
 * is optional; a connection sees an event only if it passes every limit given (AND across keys, OR
 * within one), and an event without a limited field is not seen. `K`: the hub's declared scopes.
 */
export interface Grant<K extends string = string> {
  /** The only sessions this connection may see; it then sees no event without a session. */
  sessions?: readonly string[];
  /** Per declared scope, the only values it may see, e.g. `{ tenant: ["acme"] }`. */
  scopes?: ScopeValues<K>;
  /** Who this is (a user id, say): what `hub.revoke({ subject })` matches. */
  subject?: string;
  /** Handed to action handlers as `ctx.principal`. */
  principal?: unknown;
  /**
   * When the grant ends (epoch ms, e.g. the token's expiry): the stream is ended then (WebSocket
   * close 4419, SSE ended) and the client reconnects with fresh credentials. Already past: 401.
   */
  expiresAt?: number;
}

export type Authorize<K extends string = string> = (request: EventwireRequest) => boolean | Grant<K> | Promise<boolean | Grant<K>>;

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

/** A grant as the hub keeps it: checked, its lists as sets; `undefined` where it does not limit. */
export interface CheckedGrant {
  readonly sessions: ReadonlySet<string> | undefined;
  readonly scopes: ReadonlyMap<string, ReadonlySet<string>>;
  readonly subject: string | undefined;
  readonly principal: unknown;
  readonly expiresAt: number | undefined;
}

const everything: CheckedGrant = { sessions: undefined, scopes: new Map(), subject: undefined, principal: undefined, expiresAt: undefined };

/**
 * Checks what `authorize` answered: `false` is a 401, a grant already expired too. Throws a
 * TypeError for an answer that is no grant (a scope not declared, a list that is not of strings).
 */
export function checkGrant(answer: unknown, declared: ReadonlyMap<string, string>, now: number): CheckedGrant | Refusal {
  if (answer === false) return new Refusal(401, "unauthenticated", "authorization is required to open this stream");
  if (answer === true) return everything;
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) {
    throw new TypeError(`authorize must answer true, false or a grant { sessions?, scopes?, subject?, principal?, expiresAt? }, got ${answer === null ? "null" : typeof answer}`);
  }
  const grant = answer as Grant;
  const { sessions, subject, expiresAt } = grant;
  if (sessions !== undefined && (!Array.isArray(sessions) || !sessions.every((s) => typeof s === "string"))) {
    throw new TypeError("authorize: a grant's sessions must be a list of strings");
  }
  if (subject !== undefined && typeof subject !== "string") throw new TypeError("authorize: a grant's subject must be a string");
  if (expiresAt !== undefined && !Number.isFinite(expiresAt)) throw new TypeError("authorize: a grant's expiresAt must be a time in epoch milliseconds");
  if (expiresAt !== undefined && expiresAt <= now) return new Refusal(401, "expired", "the credentials have expired; refresh them and reconnect");
  return {
    sessions: sessions === undefined ? undefined : new Set(sessions),
    scopes: readScopeValues(grant.scopes, declared, "authorize"),
    subject,
    principal: grant.principal,
    expiresAt,
  };
}

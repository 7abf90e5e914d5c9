import { readScopeValues, type ScopeValues } from "./scopes.js";

/**
 * What a connection asks for (docs/protocol.md#events-and-publishing and docs/protocol.md#query). `K`: the hub's declared scopes.
 * Everything here narrows what `authorize` granted; asking for more than the grant is refused (403).
 */
export interface StreamOptions<K extends string = string> {
  /** Only this session's events. */
  sessionId?: string;
  /**
   * Per declared scope, only events whose field is one of these (query `?tenant=acme,globex`).
   * Naming a scope that is not declared throws a TypeError; in a query, such a key is ignored.
   */
  scopes?: ScopeValues<K>;
  /** Event names, or prefixes ending in `*`. Default: every event. */
  events?: readonly string[];
  /** Opt-in events (see `HubOptions.optIn`) to receive too; names or prefixes ending in `*`. */
  include?: readonly string[];
  /**
   * Resume after this id, or `"earliest"`: every retained event of the view, oldest first, with no
   * `gap` (a late join). From a request: the `Last-Event-ID` header when present, else the
   * `lastEventId` query parameter (docs/protocol.md#resume).
   */
  lastEventId?: string;
  /** SSE only: `event:` lines on (query `eventLines=1`) or off (`eventLines=0`). Default: the hub's `eventLines`. */
  eventLines?: boolean;
}

export class BadQueryError extends Error {
  override name = "BadQueryError";
}

const namePattern = /^(?:[A-Za-z0-9_.:\-/]{1,200}\*?|\*)$/;
const maxValueLength = 512;

/**
 * Reads the stream options of a request URL (`/events?session=S&events=call.*`), then lets the
 * options given in code override them field by field. Throws BadQueryError for malformed values.
 */
export function readStreamOptions(
  url: string,
  headers: Record<string, string | string[] | undefined>,
  fromCode: StreamOptions = {},
  declared: ReadonlyMap<string, string> = new Map(),
): StreamOptions {
  const query = parseTarget(url).searchParams;
  // The header wins over the query: a browser's EventSource keeps the URL it was opened with (a
  // `lastEventId` from a page reload, say) and sends the newer id in the header on every reconnect.
  const header = headers["last-event-id"];
  const lastEventId = fromCode.lastEventId ?? (typeof header === "string" && header !== "" ? header : undefined) ?? query.get("lastEventId") ?? undefined;
  const options: StreamOptions = {
    sessionId: fromCode.sessionId ?? single(query, "session"),
    events: fromCode.events ?? list(query, "events"),
    include: fromCode.include ?? list(query, "include"),
    lastEventId,
    eventLines: fromCode.eventLines ?? flag(query, "eventLines"),
    scopes: scopesOf(query, fromCode.scopes, declared),
  };
  if (options.sessionId !== undefined) checkValue("session", options.sessionId);
  if (options.lastEventId !== undefined && options.lastEventId.length > maxValueLength) {
    throw new BadQueryError(`lastEventId is longer than ${maxValueLength} characters`);
  }
  if (options.events) checkNames("events", options.events);
  if (options.include) checkNames("include", options.include);
  return options;
}

/**
 * The request target as a URL. A target the WHATWG URL parser rejects (`//` followed by something
 * that is no authority, say) is a bad request like any malformed query: a BadQueryError, never the
 * parser's TypeError.
 */
function parseTarget(url: string): URL {
  if (typeof url !== "string") throw new BadQueryError("the request has no target");
  try {
    return new URL(url, "http://eventwire.invalid");
  } catch {
    throw new BadQueryError("the request target cannot be parsed as a URL");
  }
}

/** Whether a request target parses as a URL; one that does not is refused with 400 before `authorize` (docs/protocol.md#wire-protocol). */
export function targetParses(url: string): boolean {
  try {
    parseTarget(url);
    return true;
  } catch {
    return false;
  }

}

/** The declared scopes the query or code names: code wins per scope; undeclared keys in code throw. */
function scopesOf(query: URLSearchParams, fromCode: ScopeValues | undefined, declared: ReadonlyMap<string, string>): ScopeValues | undefined {
  if (declared.size === 0 && fromCode === undefined) return undefined;
  const code = readScopeValues(fromCode, declared, "stream options");
  const scopes: Record<string, readonly string[]> = {};
  let any = false;
  for (const name of declared.keys()) {
    const values = code.has(name) ? [...code.get(name)!] : list(query, name);
    if (values === undefined) continue;
    for (const value of values) checkValue(name, value);
    scopes[name] = values;
    any = true;
  }
  return any ? scopes : undefined;
}

function single(query: URLSearchParams, key: string): string | undefined {
  const values = query.getAll(key);
  if (values.length > 1) throw new BadQueryError(`"${key}" may be given once`);
  return values[0];
}

function flag(query: URLSearchParams, key: string): boolean | undefined {
  const value = single(query, key);
  if (value === undefined) return undefined;
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new BadQueryError(`"${key}" takes 1 or 0 (true or false), got ${JSON.stringify(value.slice(0, 40))}`);
}

function list(query: URLSearchParams, key: string): string[] | undefined {
  const values = query.getAll(key);
  if (values.length === 0) return undefined;
  return values.flatMap((value) => value.split(","));
}

function checkValue(key: string, value: string): void {
  if (value === "" || value.length > maxValueLength) {
    throw new BadQueryError(`"${key}" must be 1 to ${maxValueLength} characters`);
  }
}

function checkNames(key: string, names: readonly string[]): void {
  for (const name of names) {
    if (!namePattern.test(name)) {
      throw new BadQueryError(`"${key}" takes comma-separated event names or prefixes ending in "*", got ${JSON.stringify(name)}`);
    }
  }
}

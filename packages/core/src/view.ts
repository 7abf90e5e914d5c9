import { Refusal, type CheckedGrant } from "./authorize.js";
import type { StreamOptions } from "./query.js";

/**
 * What one connection may and wants to see of the sessions and declared scopes
 * (docs/protocol.md#sessions-scopes-and-authorization): its grant narrowed by its query. For every limited key,
 * the event's field must be one of the listed values (AND across keys, OR within one); an event
 * without a limited field is not seen.
 */

/** The part of an event a view looks at: its session, and any field by name. */
export interface RoutedEvent {
  readonly session: string | undefined;
  field(name: string): string | undefined;
}

/** One declared scope a view limits: the scope's name, its event field, the values seen. */
export interface ScopeLimit {
  readonly name: string;
  readonly field: string;
  readonly values: ReadonlySet<string>;
}

export class View {
  /**
   * The limit the routing index files this view under: `"session"`, one scope, or `undefined` for
   * a view that sees everything. The most selective: sessions, else the scope with fewest values.
   */
  readonly indexedBy: "session" | ScopeLimit | undefined;

  constructor(
    /** The only sessions seen; `undefined`: any session, and events without one. */
    readonly sessions: ReadonlySet<string> | undefined,
    readonly scopes: readonly ScopeLimit[],
  ) {
    if (sessions !== undefined) this.indexedBy = "session";
    else {
      let best: ScopeLimit | undefined;
      for (const limit of scopes) if (best === undefined || limit.values.size < best.values.size) best = limit;
      this.indexedBy = best;
    }
  }

  sees(event: RoutedEvent): boolean {
    const sessions = this.sessions;
    if (sessions !== undefined && (event.session === undefined || !sessions.has(event.session))) return false;
    for (const limit of this.scopes) {
      const value = event.field(limit.field);
      if (value === undefined || !limit.values.has(value)) return false;
    }
    return true;
  }

  /** The values this view limits `scope` to, if it does. */
  limitOf(scope: string): ReadonlySet<string> | undefined {
    for (const limit of this.scopes) if (limit.name === scope) return limit.values;
    return undefined;
  }
}

/**
 * The view a connection opens with: the query (or code) narrows the grant, and a value outside it,
 * even beside allowed ones, is refused (403).
 */
export function viewOf(grant: CheckedGrant, options: StreamOptions, declared: ReadonlyMap<string, string>): View | Refusal {
  let sessions = grant.sessions;
  if (options.sessionId !== undefined) {
    if (sessions !== undefined && !sessions.has(options.sessionId)) {
      return new Refusal(403, "forbidden", `session ${JSON.stringify(options.sessionId)} is not allowed for this connection`);
    }
    sessions = new Set([options.sessionId]);
  }
  const scopes: ScopeLimit[] = [];
  for (const [name, field] of declared) {
    const granted = grant.scopes.get(name);
    const asked = options.scopes?.[name];
    if (asked === undefined) {
      if (granted !== undefined) scopes.push({ name, field, values: granted });
      continue;
    }
    const outside = granted === undefined ? undefined : asked.find((value) => !granted.has(value));
    if (outside !== undefined) {
      return new Refusal(403, "forbidden", `${name} ${JSON.stringify(outside)} is not allowed for this connection`);
    }
    scopes.push({ name, field, values: new Set(asked) });
  }
  return sessions === undefined && scopes.length === 0 ? unlimited : new View(sessions, scopes);
}

/** The view of every stream that nothing limits: one shared instance, as a view holds no per-stream state. */
const unlimited = new View(undefined, []);

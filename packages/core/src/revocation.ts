import { readScopeValues, type ScopeValues } from "./scopes.js";
import type { View } from "./view.js";

/**
 * `hub.revoke(selector)` (docs/protocol.md#sessions-scopes-and-authorization): every open stream
 * the selector matches is closed now (WebSocket 4403, SSE ended), on every process of the bus, which
 * carries the revocation as a control message.
 */

/**
 * Which open streams to close; every given field must match. `subject`: the grant's `subject`.
 * `session`: streams limited to sessions that include it. `scopes`: streams limited, for each
 * named scope, to values that include one of those given. A stream that is not limited on a key
 * (it sees every session, say) is not matched by that key.
 */
export interface RevokeSelector<K extends string = string> {
  subject?: string;
  session?: string;
  scopes?: ScopeValues<K>;
}

export interface CheckedSelector {
  readonly subject: string | undefined;
  readonly session: string | undefined;
  readonly scopes: ReadonlyMap<string, ReadonlySet<string>>;
}

/** What a revocation is matched against: the connection's subject and view. */
export interface Revocable {
  readonly subject: string | undefined;
  readonly view: View;
}

/** Checks a selector; throws a TypeError for an empty one, an undeclared scope or values of the wrong type. */
export function checkSelector(selector: unknown, declared: ReadonlyMap<string, string>): CheckedSelector {
  if (typeof selector !== "object" || selector === null || Array.isArray(selector)) {
    throw new TypeError("hub.revoke: the selector must be an object { subject?, session?, scopes? }");
  }
  const { subject, session, scopes } = selector as RevokeSelector;
  if (subject !== undefined && typeof subject !== "string") throw new TypeError("hub.revoke: subject must be a string");
  if (session !== undefined && typeof session !== "string") throw new TypeError("hub.revoke: session must be a string");
  const checked = { subject, session, scopes: readScopeValues(scopes, declared, "hub.revoke") };
  if (subject === undefined && session === undefined && checked.scopes.size === 0) {
    throw new TypeError("hub.revoke: give at least one of subject, session or scopes (an empty selector would close every stream)");
  }
  return checked;
}

export function revokes(selector: CheckedSelector, connection: Revocable): boolean {
  if (selector.subject !== undefined && connection.subject !== selector.subject) return false;
  if (selector.session !== undefined && !connection.view.sessions?.has(selector.session)) return false;
  for (const [scope, values] of selector.scopes) {
    const limit = connection.view.limitOf(scope);
    if (limit === undefined || ![...values].some((value) => limit.has(value))) return false;
  }
  return true;
}

/** The control message that carries a revocation to the other hubs of the bus. */
export function encodeRevocation(origin: string, selector: CheckedSelector): string {
  return JSON.stringify({
    type: "revoke",
    origin,
    selector: { subject: selector.subject, session: selector.session, scopes: Object.fromEntries([...selector.scopes].map(([name, values]) => [name, [...values]])) },
  });
}

/** A revocation read from the bus, or undefined for a message that is not one. */
export function decodeRevocation(message: string): { origin: string; selector: unknown } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { type, origin, selector } = parsed as Record<string, unknown>;
  return type === "revoke" && typeof origin === "string" ? { origin, selector } : undefined;
}

/**
 * Declared scopes: more event fields, beside the session, that streams are routed and authorized
 * by (docs/protocol.md#sessions-scopes-and-authorization). `createHub({ scopes: { tenant: "orgId" } })`
 * lets a grant say `{ scopes: { tenant: ["acme"] } }` and a query say `?tenant=acme`.
 */

/** Scope name → the event field that holds it. */
export type ScopeMap<K extends string = string> = { readonly [P in K]: string };

/**
 * Values per scope name: what a grant, a query or a revocation limits. With no scopes declared
 * (`K` is `never`), only an empty object fits.
 */
export type ScopeValues<K extends string = string> = [K] extends [never] ? { readonly [name: string]: never } : { readonly [P in K]?: readonly string[] };

/** Query keys the stream options already use: a scope cannot be named after one. */
const reservedNames = new Set(["session", "events", "include", "lastEventId"]);
const namePattern = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export function resolveScopes(scopes: ScopeMap | undefined): ReadonlyMap<string, string> {
  const resolved = new Map<string, string>();
  if (scopes === undefined) return resolved;
  if (typeof scopes !== "object" || scopes === null || Array.isArray(scopes)) {
    throw new TypeError("createHub: scopes must be an object of scope name → event field, e.g. { tenant: \"orgId\" }");
  }
  for (const [name, field] of Object.entries(scopes)) {
    if (!namePattern.test(name) || reservedNames.has(name)) {
      throw new TypeError(`createHub: scope name ${JSON.stringify(name)} must be a letter then letters, digits, "_" or "-", and not one of ${[...reservedNames].join(", ")}`);
    }
    if (typeof field !== "string" || field === "" || field === "id" || field === "event") {
      throw new TypeError(`createHub: scope "${name}" must name an event field other than "id" and "event", got ${JSON.stringify(field)}`);
    }
    resolved.set(name, field);
  }
  return resolved;
}

/**
 * Checks values per scope (from a grant, code or a revocation) against the declared scopes and
 * copies them as sets. Throws a TypeError naming `where` for an undeclared scope or a value that is
 * not a list of strings.
 */
export function readScopeValues(values: unknown, declared: ReadonlyMap<string, string>, where: string): Map<string, ReadonlySet<string>> {
  const read = new Map<string, ReadonlySet<string>>();
  if (values === undefined) return read;
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new TypeError(`${where}: scopes must be an object of scope name → list of values`);
  }
  for (const [name, list] of Object.entries(values)) {
    if (list === undefined) continue;
    if (!declared.has(name)) {
      const known = declared.size === 0 ? "none are declared" : `declared: ${[...declared.keys()].join(", ")}`;
      throw new TypeError(`${where}: scope ${JSON.stringify(name)} is not declared in createHub({ scopes }) (${known})`);
    }
    if (!Array.isArray(list) || !list.every((value) => typeof value === "string")) {
      throw new TypeError(`${where}: scope "${name}" must be a list of strings`);
    }
    read.set(name, new Set(list));
  }
  return read;
}

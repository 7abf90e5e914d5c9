import type { RoutedEvent, View } from "./view.js";

/**
 * Finds the receivers of an event without scanning every connection (docs/protocol.md#load-and-bad-input,
 * docs/protocol.md#sessions-scopes-and-authorization). A connection is filed under ONE of its limits (its view's `indexedBy`: sessions first, else its most selective scope), under each value
 * of it; a connection that sees everything is in `everyone`. An event is offered to the connections
 * filed under its session, under each indexed scope's value it carries, and to `everyone`; each
 * connection then checks the rest of its view. A connection is filed once, so it is offered an
 * event at most once.
 */
export class ScopeIndex<C extends { readonly view: View }> {
  /** Connections limited by nothing: every event is theirs (before their event filter). */
  readonly everyone = new Set<C>();
  readonly #bySession = new Map<string, Set<C>>();
  /** Scope name → (field, value → connections); a scope is here while a connection is filed under it. */
  readonly #byScope = new Map<string, { field: string; byValue: Map<string, Set<C>> }>();

  add(connection: C): void {
    const by = connection.view.indexedBy;
    if (by === undefined) this.everyone.add(connection);
    else if (by === "session") fileUnder(this.#bySession, connection.view.sessions!, connection);
    else {
      let scope = this.#byScope.get(by.name);
      if (!scope) this.#byScope.set(by.name, (scope = { field: by.field, byValue: new Map() }));
      fileUnder(scope.byValue, by.values, connection);
    }
  }

  delete(connection: C): void {
    const by = connection.view.indexedBy;
    if (by === undefined) this.everyone.delete(connection);
    else if (by === "session") removeFrom(this.#bySession, connection.view.sessions!, connection);
    else {
      const scope = this.#byScope.get(by.name);
      if (!scope) return;
      removeFrom(scope.byValue, by.values, connection);
      if (scope.byValue.size === 0) this.#byScope.delete(by.name);
    }
  }

  /** Calls `visit` once for every connection that may see `event` by the limit it is filed under. */
  forCandidates(event: RoutedEvent, visit: (connection: C) => void): void {
    if (event.session !== undefined) {
      const scoped = this.#bySession.get(event.session);
      if (scoped) for (const connection of scoped) visit(connection);
    }
    // Only scopes some connection is filed under are looked at, so a hub without scoped connections
    // never reads an event's fields.
    for (const { field, byValue } of this.#byScope.values()) {
      const value = event.field(field);
      const scoped = value === undefined ? undefined : byValue.get(value);
      if (scoped) for (const connection of scoped) visit(connection);
    }
    for (const connection of this.everyone) visit(connection);
  }

  /** How many values (sessions, or one scope's values) have at least one connection filed under them. */
  sizeOf(key: "session" | string): number {
    return key === "session" ? this.#bySession.size : this.#byScope.get(key)?.byValue.size ?? 0;
  }
}

function fileUnder<C>(map: Map<string, Set<C>>, values: ReadonlySet<string>, connection: C): void {
  for (const value of values) {
    let set = map.get(value);
    if (!set) map.set(value, (set = new Set()));
    set.add(connection);
  }
}

function removeFrom<C>(map: Map<string, Set<C>>, values: ReadonlySet<string>, connection: C): void {
  for (const value of values) {
    const set = map.get(value);
    if (!set) continue;
    set.delete(connection);
    if (set.size === 0) map.delete(value);
  }
}

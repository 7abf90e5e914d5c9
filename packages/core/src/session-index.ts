/**
 * Finds the receivers of an event without scanning every connection (docs/protocol.md#load-and-bad-input): connections scoped
 * to sessions are filed under each of them; unscoped ones see every event.
 */
export class SessionIndex<C extends { readonly sessions: readonly string[] | undefined }> {
  readonly #bySession = new Map<string, Set<C>>();
  /** Connections that see every session and the events without one. */
  readonly unscoped = new Set<C>();

  add(connection: C): void {
    if (connection.sessions === undefined) {
      this.unscoped.add(connection);
      return;
    }
    for (const session of connection.sessions) {
      let set = this.#bySession.get(session);
      if (!set) this.#bySession.set(session, (set = new Set()));
      set.add(connection);
    }
  }

  delete(connection: C): void {
    if (connection.sessions === undefined) {
      this.unscoped.delete(connection);
      return;
    }
    for (const session of connection.sessions) {
      const set = this.#bySession.get(session);
      if (!set) continue;
      set.delete(connection);
      if (set.size === 0) this.#bySession.delete(session);
    }
  }

  /** The connections scoped to `session` (unscoped ones not included). */
  scopedTo(session: string): ReadonlySet<C> | undefined {
    return this.#bySession.get(session);
  }

  /** How many sessions have at least one scoped connection. */
  get sessionCount(): number {
    return this.#bySession.size;
  }
}

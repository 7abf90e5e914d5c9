/**
 * Which events one connection receives by name (docs/protocol.md#wire-protocol): `events` lists names or prefixes ending
 * in `*` (default: all); opt-in events reach it only when `include` names them.
 */
export class EventFilter {
  readonly #names: ReadonlySet<string> | undefined;
  readonly #prefixes: readonly string[];
  readonly #include: ReadonlySet<string>;
  readonly #includePrefixes: readonly string[];

  constructor(events: readonly string[] | undefined, include: readonly string[] | undefined) {
    const wanted = events && !events.includes("*") ? split(events) : undefined;
    this.#names = wanted?.names;
    this.#prefixes = wanted?.prefixes ?? [];
    const included = split(include ?? []);
    this.#include = included.names;
    this.#includePrefixes = included.prefixes;
  }

  /** `optIn`: whether the hub marks this event name as opt-in. */
  matches(name: string, optIn: boolean): boolean {
    if (optIn) return this.#include.has(name) || startsWithAny(name, this.#includePrefixes);
    if (this.#names === undefined) return true;
    return this.#names.has(name) || startsWithAny(name, this.#prefixes);
  }
}

function split(patterns: readonly string[]): { names: Set<string>; prefixes: string[] } {
  const names = new Set<string>();
  const prefixes: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith("*")) prefixes.push(pattern.slice(0, -1));
    else names.add(pattern);
  }
  return { names, prefixes };
}

function startsWithAny(name: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) if (name.startsWith(prefix)) return true;
  return false;
}

/** The filter of every stream that names neither `events` nor `include`: one shared instance. */
const everyEvent = new EventFilter(undefined, undefined);

/** The filter for a stream's `events` and `include` (a filter holds no per-stream state, so streams that name neither share one). */
export function eventFilter(events: readonly string[] | undefined, include: readonly string[] | undefined): EventFilter {
  const allEvents = events === undefined || events.includes("*");
  return allEvents && (include === undefined || include.length === 0) ? everyEvent : new EventFilter(events, include);
}

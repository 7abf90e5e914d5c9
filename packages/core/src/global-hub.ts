import type { Hub } from "./hub.js";

const hubsKey = Symbol.for("eventwire.hubs");

/**
 * The hub kept on `globalThis` under `key`, made by `create` the first time. Next.js re-evaluates
 * a route's modules on every dev reload; a hub made at module level would be made again each time,
 * leaving the old one's connections and sources behind. This keeps one per process and key, for
 * `@eventwire/next-pages` and `@eventwire/next-app` alike. A change to the hub's options takes a
 * restart of the dev server. The hub keeps its type (its declared scopes) for the caller.
 */
export function globalHub<K extends string = string>(key: string, create: () => Hub<K>): Hub<K> {
  const store = globalThis as { [hubsKey]?: Map<string, Hub> };
  const hubs = (store[hubsKey] ??= new Map());
  let hub = hubs.get(key) as Hub<K> | undefined;
  if (hub === undefined) {
    hub = create();
    hubs.set(key, hub);
  }
  return hub;
}

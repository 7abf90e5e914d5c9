import type { Hub } from "@eventwire/core";

/**
 * A hub that hands every call to the current hub: given to any adapter's server, `switchTo` plays a
 * restart behind a load balancer (or a process restart on the same port) on that adapter.
 * Connections already open stay with the hub that accepted them; new ones reach the new hub. The
 * hubs should share their options: an adapter may read the WebSocket limits once, at start.
 */
export class SwitchableHub {
  readonly hub: Hub;
  #current: Hub;

  constructor(hub: Hub) {
    this.#current = hub;
    this.hub = new Proxy(hub, {
      get: (_, key) => {
        const value: unknown = Reflect.get(this.#current, key, this.#current);
        return typeof value === "function" ? value.bind(this.#current) : value;
      },
    });
  }

  switchTo(hub: Hub): void {
    this.#current = hub;
  }
}

export { natsBus, NatsBus } from "./nats-bus.js";
export type { NatsBusOptions } from "./nats-bus-options.js";

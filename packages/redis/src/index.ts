export { redisBus, RedisBus } from "./redis-bus.js";
export type { RedisBusOptions } from "./redis-bus-options.js";

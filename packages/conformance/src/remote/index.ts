export { hostHubs, type HostedServer } from "./hub-host.js";
export { hostNextHub } from "./host-next-hub.js";

export { hostHubs, type HostedServer } from "./hub-host.js";

/**
 * What examples/standalone reuses of the live call monitor: the page (`dashboardAssets`) and its
 * sign-in (`signIn`, with the hub's `authorize`, `authorizeSignedIn`).
 */
export { dashboardAssets } from "./dashboard-assets.js";
export { accounts, authorizeSignedIn, signIn, type AccountName } from "./sign-in.js";

/**
 * Helpers for the tests of the Next.js adapters: build a fixture app once per run, serve it in
 * the test's process (`next({ dev })`) or under the `next start` CLI, and host the conformance
 * suite's hubs in `next start` processes of their own.
 */
export { buildNextApp, nextBin, type NextAppBuild } from "./build-next-app.js";
export { startNextCli, startNextInProcess, type InProcessNext, type RunningNext } from "./next-server.js";
export { nextStartHubs, type NextStartHubsOptions } from "./next-start-hubs.js";

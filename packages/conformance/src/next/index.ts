/**
 * Helpers for the tests of the Next.js adapters: build a fixture app once per run, serve it in
 * the test's process (`next({ dev })`) or under the `next start` CLI.
 */
export { buildNextApp, nextBin, type NextAppBuild } from "./build-next-app.js";
export { startNextCli, startNextInProcess, type InProcessNext, type RunningNext } from "./next-server.js";

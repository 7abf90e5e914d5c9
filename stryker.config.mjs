// Mutation testing of core's rule-bearing files (`npm run mutation`, not part of `npm test`):
// each mutant must make core's unit tests or the conformance suite on node:http fail.
// Results: reports/mutation/ (HTML and JSON); a summary lives in RELIABILITY.md.

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  // The conformance suite imports core through its workspace link, which a sandbox copy would not
  // redirect: mutants are written into the checkout itself and restored when the run ends.
  inPlace: true,
  // Stryker adds `// @ts-nocheck` to the files it instruments for type checks; in place, only core's
  // sources are touched (its default pattern is every src/ and test/ directory of the repository).
  disableTypeChecks: "packages/core/src/**/*.ts",
  // Each mutant runs only the tests that reach it. Mutants of module-level constants ("static") would
  // need every test for each of them; they are left out and reported as ignored.
  coverageAnalysis: "perTest",
  ignoreStatic: true,
  concurrency: 1,
  timeoutMS: 5_000,
  mutate: [
    "packages/core/src/query.ts",
    "packages/core/src/authorize.ts",
    "packages/core/src/scopes.ts",
    "packages/core/src/view.ts",
    "packages/core/src/scope-index.ts",
    "packages/core/src/event-filter.ts",
    "packages/core/src/resume.ts",
    "packages/core/src/publish-validation.ts",
    "packages/core/src/connection.ts",
    "packages/core/src/options.ts",
    "packages/core/src/frame.ts",
    "packages/core/src/sse/encode.ts",
    "packages/core/src/ws/ws-connection.ts",
    "packages/core/src/ws/connection-inbox.ts",
    "packages/core/src/ws/message-data.ts",
  ],
  incremental: true,
  incrementalFile: "reports/mutation/incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: ".stryker-tmp",
};

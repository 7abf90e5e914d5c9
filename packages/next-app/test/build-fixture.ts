import path from "node:path";
import { fileURLToPath } from "node:url";
// By path, not "@eventwire/conformance/next": vitest loads a globalSetup file without the
// "@eventwire/source" condition, which would resolve the package to its (maybe absent) build.
import { buildNextApp } from "../../conformance/src/next/build-next-app.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixtureDir = path.join(here, "fixture-app");

/**
 * Vitest globalSetup: compiles the adapter, core, the Redis bus and the conformance suite's hub host
 * (its src/remote, which the app's instrumentation.ts runs in the conformance run) into the fixture
 * app, then `next build`s it, once for every test file. Skipped when nothing it depends on changed.
 */
export default buildNextApp({
  label: "next-app tests",
  dir: fixtureDir,
  compile: path.join(here, "tsconfig.fixture-deps.json"),
  inputs: ["../src", "../../core/src", "../../redis/src", "../../conformance/src/remote", "../../conformance/src/merges.ts"].map((input) => path.resolve(here, input)),
});

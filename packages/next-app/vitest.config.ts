import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    // Compiles the adapter into the fixture app and runs `next build` on it, once per run.
    globalSetup: ["test/build-fixture.ts"],
    // Starting a Next server, and a dev server's first compile, take seconds.
    hookTimeout: 120_000,
    // Type tests too: `*.test-d.ts` files are checked by tsc, not run.
    typecheck: { enabled: true, include: ["src/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
  },
});

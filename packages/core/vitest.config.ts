import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// Without the "module" condition: vitest hands the conditions to Node, and @opentelemetry/api's
// "module" build imports files without extensions, which only a bundler resolves.
const conditions = sharedTestConfig.resolve.conditions.filter((condition) => condition !== "module");

// Type tests too: `*.test-d.ts` files are checked by tsc, not run.
export default defineConfig({
  ...sharedTestConfig,
  resolve: { ...sharedTestConfig.resolve, conditions },
  ssr: { ...sharedTestConfig.ssr, resolve: { ...sharedTestConfig.ssr.resolve, conditions } },
  test: {
    ...sharedTestConfig.test,
    typecheck: {
      enabled: true,
      include: ["src/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
    },
  },
});

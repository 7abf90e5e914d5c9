import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// Without the "module" condition: vitest hands the conditions to Node, and @opentelemetry/api's
// "module" build imports files without extensions, which only a bundler resolves.
const conditions = sharedTestConfig.resolve.conditions.filter((condition) => condition !== "module");

export default defineConfig({
  ...sharedTestConfig,
  resolve: { ...sharedTestConfig.resolve, conditions },
  ssr: { ...sharedTestConfig.ssr, resolve: { ...sharedTestConfig.ssr.resolve, conditions } },
});

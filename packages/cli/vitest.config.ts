import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

export default defineConfig({
  ...sharedTestConfig,
  test: { ...sharedTestConfig.test, testTimeout: 60_000, hookTimeout: 30_000 },
});

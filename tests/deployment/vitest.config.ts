import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

export default defineConfig({
  ...sharedTestConfig,
  test: { ...sharedTestConfig.test, include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
});

import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// These tests start the examples as child processes (`npm start`, as a user would) and drive a
// browser: one file at a time, so two cores are not shared between a Next server and Chromium.
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});

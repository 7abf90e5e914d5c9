import { defineConfig } from "vitest/config";
import { sharedTestConfigWithoutModule } from "../../vitest.shared.js";

// Without the "module" condition: the Prometheus test loads @opentelemetry/api.
export default defineConfig({
  ...sharedTestConfigWithoutModule,
  test: { ...sharedTestConfigWithoutModule.test, include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
});

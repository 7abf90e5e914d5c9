import { defineConfig } from "vitest/config";
import { sharedTestConfigWithoutModule } from "../../vitest.shared.js";

// Without the "module" condition: the metrics tests load @opentelemetry/api.
// Type tests too: `*.test-d.ts` files are checked by tsc, not run.
export default defineConfig({
  ...sharedTestConfigWithoutModule,
  test: {
    ...sharedTestConfigWithoutModule.test,
    typecheck: {
      enabled: true,
      include: ["src/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
    },
  },
});

import { defineConfig } from "vitest/config";

// The tests `npm run mutation` runs against each mutant of core: core's unit tests and the
// conformance suite on bare node:http. Each project keeps its own package's settings.
export default defineConfig({
  test: {
    projects: [
      {
        extends: "./packages/core/vitest.config.ts",
        test: { name: "core", root: "./packages/core", typecheck: { enabled: false } },
      },
      {
        extends: "./packages/conformance/vitest.config.ts",
        test: { name: "conformance", root: "./packages/conformance", include: ["test/node-http.test.ts"] },
      },
    ],
  },
});

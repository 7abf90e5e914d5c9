import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// Vitest hands `ssr.resolve.conditions` to the test process as Node `--conditions`; with "import"
// among them, a CommonJS `require` of a dual package (`ws` from @fastify/websocket, `is-promise`
// from Express's router) gets the ESM namespace instead of the module. Vite adds "import" itself.
const conditions = sharedTestConfig.ssr.resolve.conditions.filter((condition) => condition !== "import");

// One file at a time: these tests measure time, memory and open handles, which a neighbour in the
// same run would disturb. `--expose-gc` lets the leak and memory tests collect before they measure.
export default defineConfig({
  ...sharedTestConfig,
  ssr: { resolve: { ...sharedTestConfig.ssr.resolve, conditions } },
  test: {
    ...sharedTestConfig.test,
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    execArgv: ["--expose-gc"],
  },
});

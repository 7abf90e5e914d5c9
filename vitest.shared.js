// Test settings every workspace shares: resolve @eventwire/* packages to their TypeScript
// sources (the "@eventwire/source" export condition), so tests never run against a stale build.
/** @type {import("vitest/config").UserConfig} */
export const sharedTestConfig = {
  resolve: { conditions: ["@eventwire/source", "import", "node", "default"] },
  ssr: { resolve: { conditions: ["@eventwire/source", "import", "node", "default"], externalConditions: ["@eventwire/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
  },
};

// Test settings every workspace shares: resolve @eventwire/* packages to their TypeScript
// sources (the "@eventwire/source" export condition), so tests never run against a stale build.
// The list leaves out "import": vitest hands the SSR conditions to Node as `--conditions`, and with
// "import" among them Node's `require` of a dual package (Express's router requiring `is-promise`)
// would get the ESM namespace instead of its exports. Vite applies "import" itself where it resolves.
const conditions = ["@eventwire/source", "module", "node", "development|production"];

/** @type {import("vitest/config").UserConfig} */
export const sharedTestConfig = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@eventwire/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
  },
};

/**
 * The shared settings without the "module" condition, for workspaces whose tests load
 * `@opentelemetry/api`: vitest hands the conditions to Node, and that package's "module" build
 * imports files without extensions, which only a bundler resolves.
 * @type {import("vitest/config").UserConfig}
 */
export const sharedTestConfigWithoutModule = (() => {
  const nodeConditions = conditions.filter((condition) => condition !== "module");
  return {
    ...sharedTestConfig,
    resolve: { ...sharedTestConfig.resolve, conditions: nodeConditions },
    ssr: { ...sharedTestConfig.ssr, resolve: { ...sharedTestConfig.ssr.resolve, conditions: nodeConditions } },
  };
})();

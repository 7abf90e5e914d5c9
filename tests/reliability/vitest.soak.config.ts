import { defineConfig } from "vitest/config";
import config from "./vitest.config.js";

// `npm run soak`: the long run under soak/, not part of `npm test`.
export default defineConfig({
  ...config,
  test: { ...config.test, include: ["soak/**/*.soak.ts"], testTimeout: 30 * 60_000 },
});

import { defineConfig } from "vitest/config";

// The tarballs are packed once for every file (packed-tarballs.ts); the files run one at a time,
// since each installs projects and runs servers (a Next build among them) on shared cores.
export default defineConfig({
  test: { include: ["*.test.ts"], globalSetup: ["packed-tarballs.ts"], testTimeout: 300_000, hookTimeout: 600_000, pool: "forks", fileParallelism: false },
});

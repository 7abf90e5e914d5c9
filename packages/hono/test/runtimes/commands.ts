import type { RuntimeCommand } from "@eventwire/conformance";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The runtimes are dev dependencies from the npm registry (`bun`, `deno`), whose install puts each
// binary in its package's folder.
const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
const here = dirname(fileURLToPath(import.meta.url));
const hono = join(here, "..", "..");

/** Bun running bun-server.ts from the sources, as the Node tests do (`@eventwire/source`). */
export const bun: RuntimeCommand = {
  command: join(packageDir("bun"), "bin", "bun.exe"),
  args: ["--conditions=@eventwire/source", join(here, "bun-server.ts")],
  cwd: hono,
};

/** Deno running deno-server.ts from the sources; `--sloppy-imports` maps their `./x.js` imports to `./x.ts`. */
export const deno: RuntimeCommand = {
  command: join(packageDir("deno"), "deno"),
  args: ["run", "--allow-all", "--sloppy-imports", "--conditions=@eventwire/source", "--quiet", join(here, "deno-server.ts")],
  cwd: hono,
};

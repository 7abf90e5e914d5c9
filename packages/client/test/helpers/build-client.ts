import { execFile } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);

export interface ClientBuild {
  /** The temporary directory: `dist/` (tsc's output of src/) and a `node_modules` link to the repo's. */
  readonly dir: string;
  readonly dist: string;
  remove(): Promise<void>;
}

/**
 * Compiles the client with the package's own tsconfig.build.json into a temporary directory,
 * exactly as `npm run build` would (the package's dist/ is left alone), so tests can run the
 * JavaScript that ships: in a child Node process, or served to a browser as plain ES modules.
 */
export async function buildClient(): Promise<ClientBuild> {
  const dir = await mkdtemp(join(tmpdir(), "eventwire-client-"));
  const dist = join(dir, "dist");
  try {
    await promisify(execFile)(
      process.execPath,
      [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", dist, "--declaration", "false", "--declarationMap", "false"],
      { cwd: packageDir },
    );
    await symlink(resolve(packageDir, "../../node_modules"), join(dir, "node_modules"), "dir");
    await writeFile(join(dir, "package.json"), '{ "type": "module" }\n');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, dist, remove: () => rm(dir, { recursive: true, force: true }) };
}

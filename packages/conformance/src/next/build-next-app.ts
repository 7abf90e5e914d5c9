import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

export interface NextAppBuild {
  /** Names the build in what it logs: `"next-app tests"`. */
  label: string;
  /** The Next app's directory. */
  dir: string;
  /**
   * A tsconfig that compiles the adapter and core from source into the app (its `.eventwire/`),
   * which imports them as plain JavaScript, as an app imports them from npm: Turbopack, Next 16's
   * bundler, cannot resolve the sources' `./x.js` imports to `./x.ts` files.
   */
  compile: string;
  /** Everything the build depends on beside the app's own files (the packages' sources). */
  inputs: string[];
}

/**
 * A vitest globalSetup that compiles the packages into a Next app and `next build`s it, once for
 * every test file of a run, and not at all when nothing it depends on changed since the last build.
 */
export function buildNextApp(build: NextAppBuild): () => Promise<void> {
  return async () => {
    const stampFile = path.join(build.dir, ".next", "eventwire-inputs");
    const ownFiles = readdirSync(build.dir).filter((name) => ![".next", ".eventwire", "node_modules", "next-env.d.ts"].includes(name));
    const stamp = hashOf([...build.inputs, build.compile, ...ownFiles.map((name) => path.join(build.dir, name))]);
    if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) {
      console.log(`[${build.label}] fixture app unchanged since its last build; reusing it`);
      return;
    }
    const started = Date.now();
    rmSync(path.join(build.dir, ".eventwire"), { recursive: true, force: true });
    await run(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", build.compile]);
    const compiled = Date.now();
    const env = { ...process.env, NODE_ENV: "production" as const, NEXT_TELEMETRY_DISABLED: "1" };
    await run(process.execPath, [nextBin(), "build", build.dir], { env, maxBuffer: 16 << 20 }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`next build of ${build.dir} failed:\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    });
    writeFileSync(stampFile, stamp);
    console.log(`[${build.label}] fixture app built: compile ${compiled - started} ms, next build ${Date.now() - compiled} ms`);
  };
}

/** The `next` CLI's script. */
export function nextBin(): string {
  return require.resolve("next/dist/bin/next");
}

function hashOf(paths: string[]): string {
  const hash = createHash("sha256");
  const visit = (file: string) => {
    if (statSync(file).isDirectory()) {
      for (const name of readdirSync(file).sort()) if (!name.endsWith(".test.ts")) visit(path.join(file, name));
      return;
    }
    hash.update(`${file}\0`).update(readFileSync(file));
  };
  for (const file of paths) visit(file);
  return hash.digest("hex");
}

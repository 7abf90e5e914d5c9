import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const fixtureDir = path.join(here, "fixture-app");
const bin = path.resolve(here, "../../../node_modules/.bin");
/** What the build depends on: the adapter's and core's sources, and the app. */
const inputs = [path.resolve(here, "../src"), path.resolve(here, "../../core/src"), path.join(fixtureDir, "pages"), path.join(fixtureDir, "lib"), path.join(fixtureDir, "next.config.mjs"), path.join(fixtureDir, "tsconfig.json"), path.join(here, "tsconfig.fixture-deps.json")];
const stampFile = path.join(fixtureDir, ".next", "eventwire-inputs");

/**
 * Vitest globalSetup: compiles the adapter and core into the fixture app, then `next build`s it,
 * once for every test file. Skipped when nothing it depends on changed since the last build.
 */
export default async function buildFixture(): Promise<void> {
  const stamp = hashOf(inputs);
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) {
    console.log("[next-pages tests] fixture app unchanged since its last build; reusing it");
    return;
  }
  const started = Date.now();
  rmSync(path.join(fixtureDir, ".eventwire"), { recursive: true, force: true });
  await run(path.join(bin, "tsc"), ["-p", path.join(here, "tsconfig.fixture-deps.json")]);
  const compiled = Date.now();
  const env = { ...process.env, NODE_ENV: "production" as const, NEXT_TELEMETRY_DISABLED: "1" };
  await run(path.join(bin, "next"), ["build", fixtureDir], { env, maxBuffer: 16 << 20 }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`next build of the fixture app failed:\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
  });
  writeFileSync(stampFile, stamp);
  console.log(`[next-pages tests] fixture app built: compile ${compiled - started} ms, next build ${Date.now() - compiled} ms`);
}

function hashOf(paths: string[]): string {
  const hash = createHash("sha256");
  const visit = (file: string) => {
    if (statSync(file).isDirectory()) {
      for (const name of readdirSync(file).sort()) if (!name.endsWith(".test.ts")) visit(path.join(file, name));
      return;
    }
    hash.update(`${path.relative(here, file)}\0`).update(readFileSync(file));
  };
  for (const file of paths) visit(file);
  return hash.digest("hex");
}

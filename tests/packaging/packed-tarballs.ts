import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

/** The repository's root. */
export const repo = resolve(import.meta.dirname, "../..");
/** Every published package, by its folder under packages/. */
export const packages = ["core", "client", "express", "fastify", "hono", "next-pages", "next-app", "redis", "nats", "conformance", "cli"];

declare module "vitest" {
  export interface ProvidedContext {
    /** The `npm pack` tarball of each package (by folder name), outside the repository. */
    tarballs: Record<string, string>;
  }
}

/**
 * Vitest globalSetup: packs every package once, as npm would publish it, into a temporary folder
 * outside the repository, for every test file to install from; removed after the run.
 */
export default function packTarballs(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "eventwire-tarballs-"));
  const tarballs: Record<string, string> = {};
  for (const name of packages) {
    const output = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: join(repo, "packages", name), encoding: "utf8" });
    tarballs[name] = join(dir, output.trim().split("\n").at(-1)!);
  }
  project.provide("tarballs", tarballs);
  return () => rmSync(dir, { recursive: true, force: true });
}

/** The version of a third-party package this repository tests with (from its node_modules). */
export function repoVersion(name: string): string {
  return (JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

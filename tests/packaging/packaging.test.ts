import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packages, repo, repoVersion } from "./packed-tarballs.js";

// Each package, packed as npm would publish it (packed-tarballs.ts), installed into a fresh project
// outside the repo with only its peers beside it, must import and serve events there (issue:
// "works when installed from its npm pack tarball").
/** The third-party packages the smoke scripts need, at the versions this repo tests with. */
const peers = ["ws", "express", "fastify", "@fastify/websocket", "hono", "@hono/node-server", "@hono/node-ws", "next", "react", "react-dom", "vitest"];

let project: string;
/** The packed tarball of each package, by name. */
const tarballOf = new Map(Object.entries(inject("tarballs")));

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "eventwire-pack-"));
  const versions = peers.map((name) => `${name}@${repoVersion(name)}`);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "eventwire-pack-smoke", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...tarballOf.values(), ...versions], { cwd: project, stdio: "inherit" });
  cpSync(join(import.meta.dirname, "smoke"), project, { recursive: true });
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("packages installed from their tarballs", () => {
  it("ship ESM, types first in every exports map, and no tests", () => {
    for (const name of packages) {
      const manifest = JSON.parse(readFileSync(join(project, "node_modules", "@eventwire", name, "package.json"), "utf8"));
      expect(manifest.type).toBe("module");
      for (const [entry, target] of Object.entries(manifest.exports as Record<string, unknown>)) {
        if (typeof target === "string") continue;
        expect([name, entry, Object.keys(target as object)[0]]).toEqual([name, entry, "types"]);
      }
      const dist = readdirSync(join(project, "node_modules", "@eventwire", name, "dist"), { recursive: true }) as string[];
      expect(dist.some((file) => file.endsWith(".d.ts"))).toBe(true);
      expect(dist.filter((file) => /\.test(-d)?\.(js|d\.ts)$/.test(file))).toEqual([]);
    }
  });

  it("ship the MIT LICENSE and the metadata a registry page shows", () => {
    const license = readFileSync(join(repo, "LICENSE"), "utf8");
    for (const name of packages) {
      const installed = join(project, "node_modules", "@eventwire", name);
      const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
      expect([name, readFileSync(join(installed, "LICENSE"), "utf8")]).toEqual([name, license]);
      expect([name, manifest.license, manifest.repository?.directory, typeof manifest.homepage, typeof manifest.bugs?.url, manifest.keywords?.length > 0])
        .toEqual([name, "MIT", `packages/${name}`, "string", "string", true]);
      // ESM only: import works on any Node 20; require() of an ES module needs 20.19+ or 22.12+.
      expect([name, manifest.engines]).toEqual([name, { node: "^20.19.0 || >=22.12.0" }]);
    }
  });

  // publint: the exports map, files and fields are what a registry and bundlers expect.
  it.each(packages)("%s passes publint", async (name) => {
    const { publint } = await import("publint");
    const { formatMessage } = await import("publint/utils");
    const tarball = readFileSync(tarballOf.get(name)!);
    const { messages, pkg } = await publint({ pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) }, level: "suggestion", strict: true });
    expect(messages.map((message) => formatMessage(message, pkg) ?? message.code)).toEqual([]);
  });

  // Are the types wrong (@arethetypeswrong/core, the engine of the attw CLI, run in process so
  // TypeScript loads once): every entry point's types resolve under node10, node16 (from ESM and
  // from CommonJS) and bundler. CommonJS resolving to ESM is what an ESM-only package is: require()
  // of it works from Node 20.19 (engines say so), so that one kind is allowed.
  it.each(packages)("%s passes attw under every moduleResolution", async (name) => {
    const { checkPackage, createPackageFromTarballData } = await import("@arethetypeswrong/core");
    const result = await checkPackage(createPackageFromTarballData(new Uint8Array(readFileSync(tarballOf.get(name)!))));
    if (!("problems" in result)) throw new Error(`${name}: attw found no types`);
    expect(result.problems.filter((problem) => problem.kind !== "CJSResolvesToESM")).toEqual([]);
    for (const entry of Object.values(result.entrypoints)) {
      expect(Object.keys(entry.resolutions).sort()).toEqual(["bundler", "node10", "node16-cjs", "node16-esm"]);
    }
  });

  it.each(packages)("%s can be required from CommonJS (require of ESM)", (name) => {
    const entries = name === "client" ? ["@eventwire/client", "@eventwire/client/react"] : name === "conformance" ? ["@eventwire/conformance", "@eventwire/conformance/bus"] : [`@eventwire/${name}`];
    for (const entry of entries) {
      const output = execFileSync("node", ["--no-warnings", "-e", `console.log(Object.keys(require(${JSON.stringify(entry)})).length > 0)`], { cwd: project, encoding: "utf8" });
      expect([entry, output.trim()]).toEqual([entry, "true"]);
    }
  });

  // next-app's README setup runs in readme-setups.test.ts.
  it.each(["core", "client", "express", "fastify", "hono", "next-pages", "redis", "nats", "conformance", "cli"])("%s works in a fresh project", (name) => {
    const output = execFileSync("node", [`${name}.mjs`], { cwd: project, encoding: "utf8", timeout: name === "next-pages" ? 240_000 : 60_000 });
    expect(output).toMatch(new RegExp(`^${name}: ok`, "m"));
  });
});

import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Each package, packed as npm would publish it, installed into a fresh project outside the repo
// with only its peers beside it, must import and serve events there (issue: "works when installed
// from its npm pack tarball").
const repo = resolve(import.meta.dirname, "../..");
const packages = ["core", "client", "express", "fastify", "hono", "next-pages", "redis", "nats", "conformance"];
/** The third-party packages the smoke scripts need, at the versions this repo tests with. */
const peers = ["ws", "express", "fastify", "@fastify/websocket", "hono", "@hono/node-server", "@hono/node-ws", "next", "react", "react-dom", "vitest"];

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "eventwire-pack-"));
  const tarballs = packages.map((name) => {
    const output = execFileSync("npm", ["pack", "--silent", "--pack-destination", project], { cwd: join(repo, "packages", name), encoding: "utf8" });
    return join(project, output.trim().split("\n").at(-1)!);
  });
  const versions = peers.map((name) => `${name}@${JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")).version}`);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "eventwire-pack-smoke", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...tarballs, ...versions], { cwd: project, stdio: "inherit" });
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

  it.each(["core", "client", "express", "fastify", "hono", "next-pages", "redis", "nats", "conformance"])("%s works in a fresh project", (name) => {
    const output = execFileSync("node", [`${name}.mjs`], { cwd: project, encoding: "utf8", timeout: name === "next-pages" ? 240_000 : 60_000 });
    expect(output).toMatch(new RegExp(`^${name}: ok`, "m"));
  });
});

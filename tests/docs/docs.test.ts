import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM script without types
import { checkRepository, headingAnchors } from "./check-docs.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("the repository's docs", () => {
  it("have no link or protocol citation that fails to resolve inside the repository", () => {
    expect(checkRepository(root)).toEqual([]);
  });

  it("give docs/protocol.md the sections every citation names", () => {
    const sections = [
      "events-and-publishing", "wire-protocol", "refusal-and-close-codes", "sessions-scopes-and-authorization",
      "resume", "load-and-bad-input", "shutdown", "client", "several-processes", "runtimes-and-platforms",
    ];
    const anchors = headingAnchors(readFileSync(join(root, "docs/protocol.md"), "utf8"));
    for (const section of sections) expect(anchors, section).toContain(section);
  });
});

describe("the check", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function repo(files: Record<string, string>): string[] {
    dir = mkdtempSync(join(tmpdir(), "eventwire-docs-"));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return checkRepository(dir);
  }

  const protocol = "# Protocol\n\n## Wire protocol\n\n## Sessions, scopes and authorization\n";

  it("accepts links to files, folders and headings, and skips external links and code", () => {
    expect(repo({
      "docs/protocol.md": protocol,
      "packages/a/README.md": [
        "[p](../../docs/protocol.md#sessions-scopes-and-authorization) [dir](../a) [self](#readme) [web](https://example.com/x.md)",
        "# Readme", "`[not a link](nowhere.md)`", "```md", "[nor this](missing.md)", "```",
      ].join("\n"),
      "packages/a/src/x.ts": "// see docs/protocol.md#wire-protocol\n",
    })).toEqual([]);
  });

  it("reports a link to a missing file, a missing heading, or outside the repository", () => {
    expect(repo({
      "docs/protocol.md": protocol,
      "README.md": "[a](missing.md) [b](docs/protocol.md#no-such-section) [c](../elsewhere/x.md)\n",
    })).toEqual([
      "README.md: link missing.md points at nothing",
      "README.md: link docs/protocol.md#no-such-section names no heading of docs/protocol.md",
      "README.md: link ../elsewhere/x.md leaves the repository",
    ]);
  });

  it("reports citations of the old contract and of missing protocol sections in code", () => {
    const old = "S" + "PEC";
    expect(repo({
      "docs/protocol.md": protocol,
      "src/a.ts": `/** Resumes (${old} 5). */\n// see docs/protocol.md#resumes\n`,
      "src/b.ts": `// as in ../sh${"ared"}/${old}.md\n`,
    })).toEqual([
      `src/a.ts:1: cites a document outside the repository: /** Resumes (${old} 5). */`,
      "src/a.ts: cites docs/protocol.md#resumes, which is no heading of docs/protocol.md",
      `src/b.ts:1: cites a document outside the repository: // as in ../sh${"ared"}/${old}.md`,
    ]);
  });
});

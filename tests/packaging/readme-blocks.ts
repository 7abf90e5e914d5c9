import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repo } from "./packed-tarballs.js";

/** A fenced code block of a package's README. */
export interface ReadmeBlock {
  /** The fence's language (`js`, `ts`, `sh`). */
  lang: string;
  code: string;
}

/**
 * The fenced blocks of packages/<name>/README.md whose nearest heading is `section`, in order, so
 * that what the README shows is what the tests run. Throws when the section has none of `lang`.
 */
export function readmeBlocks(name: string, section: string, lang: string): string[] {
  const blocks: ReadmeBlock[] = [];
  let heading: string | undefined;
  let open: ReadmeBlock | undefined;
  for (const line of readFileSync(join(repo, "packages", name, "README.md"), "utf8").split("\n")) {
    if (open) {
      if (line.startsWith("```")) {
        if (heading === section) blocks.push(open);
        open = undefined;
      } else open.code += `${line}\n`;
    } else if (line.startsWith("```")) open = { lang: line.slice(3).trim(), code: "" };
    else if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, "").trim();
  }
  const found = blocks.filter((block) => block.lang === lang).map((block) => block.code);
  if (found.length === 0) throw new Error(`packages/${name}/README.md has no ${lang} block under "${section}"`);
  return found;
}

/**
 * What a block's opening comment says it is: `// server.mjs: node server.mjs, then ...` names the
 * file to save it as and, for a runnable one, the command that runs it.
 */
export function fileOf(code: string): { file: string; says: string } {
  const match = /^\/\/ (\S+): (.*)$/m.exec(code.split("\n")[0]!);
  if (!match) throw new Error(`a README block opens without "// <file>: ...":\n${code}`);
  return { file: match[1]!, says: match[2]! };
}

/** The packages an install line of a README (`npm install a b`, `bun add a b`) names, comments left out. */
export function installedBy(sh: string): string[] {
  return sh
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .flatMap((line) => /^(?:npm install|bun add) (.+)$/.exec(line)?.[1]!.split(/\s+/) ?? []);
}

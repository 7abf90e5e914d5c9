// Module hooks that let a child process run TypeScript sources directly (Node 20 has no type
// stripping): `.ts` files are transpiled with TypeScript (types dropped, nothing checked), and a
// relative `./x.js` import that only exists as `./x.ts` resolves to it. Transpiled files are cached
// in the OS temp dir (keyed by path, size and mtime), so only the first process after a change
// loads TypeScript (which alone takes a second or more on a busy machine).
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cacheDir = join(tmpdir(), "eventwire-test-ts-cache");
let typescript;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (/^\.{1,2}\//.test(specifier) && specifier.endsWith(".js")) {
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
    throw error;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const { size, mtimeMs } = await stat(fileName);
  const key = createHash("sha1").update(`1\0${fileName}\0${size}\0${mtimeMs}`).digest("hex");
  const cached = join(cacheDir, `${key}.js`);
  try {
    return { format: "module", source: await readFile(cached, "utf8"), shortCircuit: true };
  } catch {
    // not cached yet
  }
  typescript ??= (await import("typescript")).default;
  const { outputText } = typescript.transpileModule(await readFile(fileName, "utf8"), {
    fileName,
    compilerOptions: {
      module: typescript.ModuleKind.ESNext,
      target: typescript.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
    },
  });
  await mkdir(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  await writeFile(partial, outputText);
  await rename(partial, cached); // atomic: another process never reads half a file
  return { format: "module", source: outputText, shortCircuit: true };
}

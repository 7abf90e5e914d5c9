import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { packageDir } from "./build-client.js";

/**
 * React 19 publishes CommonJS only, which a browser cannot import. For the browser test's page
 * (not for the client, which loads as plain ES modules), this wraps a CommonJS package and every
 * file it requires into one ES module, with a tiny `require` that resolves as Node did when the
 * module was built. `process.env.NODE_ENV` is "development", so React checks what it can.
 */
export function commonJsAsEsm(entries: Record<string, string>): string {
  const fromPackage = createRequire(`${packageDir}/package.json`);
  const ids = new Map<string, number>();
  const definitions: string[] = [];

  const add = (file: string): number => {
    const known = ids.get(file);
    if (known !== undefined) return known;
    const id = ids.size;
    ids.set(file, id);
    const source = readFileSync(file, "utf8");
    const requireOf = createRequire(file);
    const links: Record<string, number> = {};
    for (const [, specifier] of source.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
      links[specifier!] = add(requireOf.resolve(specifier!));
    }
    definitions[id] = `[${JSON.stringify(links)}, function (module, exports, require) {\n${source}\n}]`;
    return id;
  };

  const exported = Object.entries(entries).map(([name, specifier]) => [name, add(fromPackage.resolve(specifier))] as const);
  return [
    'const process = { env: { NODE_ENV: "development" } };',
    `const definitions = [\n${definitions.join(",\n")}\n];`,
    "const cache = [];",
    "function load(id) {",
    "  if (cache[id]) return cache[id].exports;",
    "  const module = (cache[id] = { exports: {} });",
    "  const [links, define] = definitions[id];",
    "  define.call(module.exports, module, module.exports, (specifier) => load(links[specifier]));",
    "  return module.exports;",
    "}",
    ...exported.map(([name, id]) => `export const ${name} = load(${id});`),
  ].join("\n");
}

/** An ES module re-exporting one CommonJS module's properties by name, for an import map entry. */
export function reexport(from: string, binding: string, specifier: string): string {
  const keys = Object.keys(createRequire(`${packageDir}/package.json`)(specifier) as object).filter((key) =>
    /^[A-Za-z_$][\w$]*$/.test(key) && key !== "default",
  );
  return [
    `import { ${binding} as m } from ${JSON.stringify(from)};`,
    "export default m;",
    `export const { ${keys.join(", ")} } = m;`,
  ].join("\n");
}

// Checks the repository's own documentation resolves inside it:
// - every relative Markdown link points at a file or folder that exists, and its #anchor at a heading;
// - every citation of the protocol document in code (`docs/protocol.md#anchor`) names a heading of it;
// - no file cites a contract outside the repository (the old specification's section numbers, or a
//   path into a sibling folder of the repository) that users of the repository cannot open.
// Run `node tests/docs/check-docs.mjs` from anywhere; it prints each problem and exits 1 if any.
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const skippedDirs = new Set(["node_modules", "dist", ".git", ".turbo", ".next", "coverage", "test-results", "results"]);
const textFile = /\.(md|ts|tsx|mts|js|mjs|cjs|json|sh|yml|yaml|css|html)$/;

/** Every text file of the repository, as paths relative to `root`. */
export function listFiles(root, dir = root) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skippedDirs.has(entry.name)) files.push(...listFiles(root, join(dir, entry.name)));
    } else if (textFile.test(entry.name) && entry.name !== "package-lock.json") {
      files.push(relative(root, join(dir, entry.name)).split(sep).join("/"));
    }
  }
  return files;
}

/** GitHub's anchors for a Markdown text's headings (lower case, punctuation dropped, spaces to hyphens, repeats numbered). */
export function headingAnchors(markdown) {
  const anchors = new Set();
  const seen = new Map();
  for (const line of withoutCode(markdown).split("\n")) {
    const match = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const text = match[1].replace(/`/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The Markdown text with fenced code blocks and inline code blanked out (links there are examples). */
function withoutCode(markdown) {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, " "))
    .replace(/`[^`\n]*`/g, (code) => " ".repeat(code.length));
}

/** The link targets of a Markdown text: inline links and images, and reference definitions. */
export function markdownLinks(markdown) {
  const text = withoutCode(markdown);
  const links = [];
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(match[1]);
  for (const match of text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) links.push(match[1]);
  return links;
}

const external = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;
// Built from pieces so this file does not match itself.
const outsideContract = new RegExp(["\\bS" + "PEC(?:\\.md|\\s+(?:sections?\\s+)?\\d|'s\\b)", "\\.\\./sh" + "ared/"].join("|"));
const protocolCitation = /docs\/protocol\.md#([\w-]+)/g;

/** Every problem of the repository at `root`, as "file: message" lines. */
export function checkRepository(root) {
  const problems = [];
  const anchorsOf = new Map();
  const anchors = (file) => {
    if (!anchorsOf.has(file)) anchorsOf.set(file, headingAnchors(readFileSync(file, "utf8")));
    return anchorsOf.get(file);
  };
  const protocol = join(root, "docs", "protocol.md");
  for (const file of listFiles(root)) {
    const path = join(root, file);
    const text = readFileSync(path, "utf8");
    if (file.endsWith(".md")) {
      for (const link of markdownLinks(text)) {
        if (external.test(link)) continue;
        const [target, anchor] = splitAnchor(link);
        const resolved = target === "" ? path : target.startsWith("/") ? join(root, target) : resolve(dirname(path), target);
        if (!resolved.startsWith(root + sep) && resolved !== root) {
          problems.push(`${file}: link ${link} leaves the repository`);
        } else if (!existsSync(resolved)) {
          problems.push(`${file}: link ${link} points at nothing`);
        } else if (anchor !== undefined && resolved.endsWith(".md") && statSync(resolved).isFile() && !anchors(resolved).has(anchor)) {
          problems.push(`${file}: link ${link} names no heading of ${relative(root, resolved)}`);
        }
      }
    }
    if (!file.startsWith("tests/docs/")) {
      text.split("\n").forEach((line, index) => {
        if (outsideContract.test(line)) problems.push(`${file}:${index + 1}: cites a document outside the repository: ${line.trim()}`);
      });
    }
    // In Markdown, links were checked above; citations in prose and code blocks are checked here.
    const cited = file.endsWith(".md") ? text.replace(/\]\([^)]*\)/g, "]") : text;
    for (const match of file.startsWith("tests/docs/") ? [] : cited.matchAll(protocolCitation)) {
      if (!existsSync(protocol) || !anchors(protocol).has(match[1])) {
        problems.push(`${file}: cites docs/protocol.md#${match[1]}, which is no heading of docs/protocol.md`);
      }
    }
  }
  return problems;
}

function splitAnchor(link) {
  const hash = link.indexOf("#");
  const target = hash === -1 ? link : link.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(link.slice(hash + 1)).toLowerCase();
  return [decodeURIComponent(target.split("?")[0]), anchor];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const problems = checkRepository(root);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log("docs: every link and protocol citation resolves inside the repository");
}

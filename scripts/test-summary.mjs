// Sums the "Tests  N passed | M failed | K skipped" lines every vitest run printed into one
// closing line, "N passed, M failed, K skipped", so a CI log ends with the totals.
import { readFileSync } from "node:fs";

const text = readFileSync(process.argv[2] ?? 0, "utf8").replace(/\x1b\[[0-9;]*m/g, "");
const totals = { passed: 0, failed: 0, skipped: 0 };
let runs = 0;
for (const line of text.split("\n")) {
  const match = /Tests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!match) continue;
  runs++;
  for (const [, count, kind] of match[1].matchAll(/(\d+) (passed|failed|skipped)/g)) totals[kind] += Number(count);
}
if (runs === 0) {
  console.log("test-summary: no vitest run reported its tests");
  process.exit(0);
}
console.log(`test runs: ${runs}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);

#!/usr/bin/env node
import { tail } from "./tail.js";
import { readTailOptions, usage } from "./tail-options.js";

const argv = process.argv.slice(2);
if (argv.includes("-h") || argv.includes("--help")) {
  console.log(usage);
  process.exit(0);
}
let options;
try {
  options = readTailOptions(argv, process.env, process.stdout.isTTY === true);
} catch (error) {
  console.error(`eventwire: ${(error as Error).message}\n\n${usage}`);
  process.exit(2);
}
const stop = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
const code = await tail(options, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) }, stop.signal);
process.exit(code);

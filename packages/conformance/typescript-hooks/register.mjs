// `node --import <this file>`: lets a child process of a test run the repo's TypeScript sources.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);

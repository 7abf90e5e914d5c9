import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/**
 * The app the next-app tests build and serve. It imports the adapter and core as compiled from
 * source into .eventwire/ (see ../tsconfig.fixture-deps.json), through the paths of its tsconfig.
 */
export default {
  // The monorepo root holds node_modules (next, ws); without this Next guesses it and warns.
  turbopack: { root },
  outputFileTracingRoot: root,
};

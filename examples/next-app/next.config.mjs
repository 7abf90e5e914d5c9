import path from "node:path";
import { fileURLToPath } from "node:url";

// npm workspaces keep node_modules (next, react, the @eventwire packages) at the repository root,
// two levels up; Next needs to be told where that root is. In an app of your own, delete both lines.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** @type {import("next").NextConfig} */
export default {
  reactStrictMode: true,
  turbopack: { root },
  outputFileTracingRoot: root,
};

// The suite is a vitest file's building block: check it loads and exposes its entry point.
import * as conformance from "@eventwire/conformance";

if (typeof conformance.runConformance !== "function") throw new Error("runConformance is missing");
console.log("conformance: ok runConformance");

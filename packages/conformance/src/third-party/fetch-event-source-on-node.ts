import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { fetchEventSource as FetchEventSource } from "@microsoft/fetch-event-source";

/**
 * `fetchEventSource` of `@microsoft/fetch-event-source`, unchanged, for Node. It is a browser
 * library: it calls `window.setTimeout`, `window.clearTimeout`, `window.fetch`, and
 * `document.addEventListener` / `removeEventListener` for its visibility handling (which
 * `openWhenHidden: true` turns off). Rather than put a `window` and a `document` on Node's global
 * object, where every other library in the process (Next.js, say) would take it for a browser, its
 * CommonJS build is evaluated with the minimal two below as its own `window` and `document`.
 */
export const fetchEventSource: typeof FetchEventSource = load();

function load(): typeof FetchEventSource {
  const require = createRequire(import.meta.url);
  const file = require.resolve("@microsoft/fetch-event-source/lib/cjs/fetch.js");
  const module = { exports: {} as { fetchEventSource?: typeof FetchEventSource } };
  const window = { setTimeout, clearTimeout, fetch: (...args: Parameters<typeof fetch>) => fetch(...args) };
  const document = { hidden: false, addEventListener() {}, removeEventListener() {} };
  const evaluate = new Function("exports", "require", "module", "window", "document", readFileSync(file, "utf8"));
  evaluate(module.exports, createRequire(file), module, window, document);
  if (typeof module.exports.fetchEventSource !== "function") throw new Error(`${file} exports no fetchEventSource`);
  return module.exports.fetchEventSource;
}

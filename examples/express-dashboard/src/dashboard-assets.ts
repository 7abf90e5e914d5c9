import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Router } from "express";

/**
 * The dashboard's files, as an Express router: the page (`/`), its stylesheet, its script (compiled
 * from src/web/), and the browser build of `@eventwire/client` with its one dependency, served as
 * plain ES modules that the page's import map names. No bundler, no CDN.
 *
 * The page opens its stream at `/events` on the same origin, so mount this beside the Eventwire
 * middleware: `app.use(eventwire(hub)); app.use(dashboardAssets());`.
 */
export function dashboardAssets(): Router {
  const router = express.Router();
  const files = { cacheControl: false, index: false, setHeaders: noCache } as const;

  router.get("/", (_request, response) => {
    response.set("cache-control", "no-cache").sendFile(join(publicDir, "index.html"));
  });
  router.use("/assets", express.static(publicDir, files));
  router.use("/app", express.static(webDir, files));
  router.use("/vendor/eventwire-client", express.static(clientDir, files));
  router.use("/vendor/eventsource-parser", express.static(parserDir, files));
  return router;
}

const here = dirname(fileURLToPath(import.meta.url));
const publicDir = join(here, "../public");
/** The page's script, compiled by tsconfig.web.json. */
const webDir = join(here, "web");

/** `@eventwire/client`'s ES module build, as Node resolves the package for `import`. */
const clientEntry = fileURLToPath(import.meta.resolve("@eventwire/client"));
const clientDir = dirname(clientEntry);

/** The client's dependency `eventsource-parser`, resolved from the client as Node would, at its ES module entry. */
const parserDir = (() => {
  const manifestPath = createRequire(clientEntry).resolve("eventsource-parser/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { exports: { ".": { import: string } } };
  return dirname(join(dirname(manifestPath), manifest.exports["."].import));
})();

function noCache(response: { setHeader(name: string, value: string): void }): void {
  response.setHeader("cache-control", "no-cache");
}

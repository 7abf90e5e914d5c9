// A real Next.js app built with `next build` and run by `next start`, with the adapter from its
// tarball: a Pages-router route (next-pages) serves SSE and, once it has run, WebSockets on the
// same path.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { checkBothTransports } from "./check.mjs";

const app = "next-pages-app";
mkdirSync(`${app}/pages/api`, { recursive: true });
mkdirSync(`${app}/lib`, { recursive: true });
writeFileSync(`${app}/lib/hub.js`, `import { createHub } from "@eventwire/core";
import { globalHub } from "@eventwire/next-pages";
export const hub = globalHub("smoke", () => createHub({ authorize: true }));
`);
writeFileSync(`${app}/pages/api/events.js`, `import { eventwire } from "@eventwire/next-pages";
import { hub } from "../../lib/hub";
export default eventwire(hub);
export const config = { api: { bodyParser: false, responseLimit: false } };
`);
writeFileSync(`${app}/pages/api/publish.js`, `import { hub } from "../../lib/hub";
export default async function publish(req, res) { res.json({ id: await hub.publish(req.body) }); }
`);
writeFileSync(`${app}/pages/index.js`, `export default function Home() { return "eventwire"; }\n`);

const next = "node_modules/next/dist/bin/next";
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" };
execFileSync(process.execPath, [next, "build", app], { env, stdio: ["ignore", "ignore", "inherit"] });
const server = spawn(process.execPath, [next, "start", "-p", "0", "-H", "127.0.0.1", app], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
try {
  const origin = await new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`next start did not start:\n${output}`)), 60_000);
    const read = (chunk) => {
      output += chunk;
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(output);
      if (url && /Ready in/.test(output)) resolve((clearTimeout(timer), url[0]));
    };
    server.stdout.on("data", read);
    server.stderr.on("data", read);
  });
  // The response is read to its end, so no socket is left open when the server goes away.
  const publish = (event) =>
    fetch(`${origin}/api/publish`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(event) }).then((response) => response.json());
  // The SSE request runs the route once, which installs its WebSocket upgrades (see the README).
  await checkBothTransports("next-pages", `${origin}/api/events`, publish);
} finally {
  process.kill(-server.pid, "SIGKILL");
}

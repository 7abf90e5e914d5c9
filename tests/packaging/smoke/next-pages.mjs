// A real Next.js app built with `next build` and run by `next start`, with the adapters from their
// tarballs: a Pages-router route (next-pages) serves SSE and, once it has run, WebSockets on the
// same path; an App-router route (next-app, the README's setup) serves SSE from the same hub.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { checkBothTransports, firstSseEvent } from "./check.mjs";

const app = "next-app";
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
mkdirSync(`${app}/app/api/stream`, { recursive: true });
writeFileSync(`${app}/app/api/stream/route.js`, `import { eventwire } from "@eventwire/next-app";
import { hub } from "../../../lib/hub";
export const { GET, OPTIONS } = eventwire(hub);
export const dynamic = "force-dynamic";
export const runtime = "nodejs";
`);
writeFileSync(`${app}/app/layout.js`, `export default function Layout({ children }) { return children; }\n`);
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
  const event = await firstSseEvent(`${origin}/api/stream`, () => publish({ event: "smoke", from: "next-app" }));
  if (event.event !== "smoke" || event.from !== "next-app" || typeof event.id !== "string") throw new Error(`next-app: unexpected first event ${JSON.stringify(event)}`);
  console.log("next-app: ok smoke (SSE from an App-router route)");
} finally {
  process.kill(-server.pid, "SIGKILL");
}

import { spawn } from "node:child_process";
import http from "node:http";
import { createHub } from "@eventwire/core";

// The installed `eventwire` bin tails a hub and prints what it publishes.
const hub = createHub({ authorize: true });
const server = http.createServer((req, res) => hub.sse(req, res));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const tail = spawn("node_modules/.bin/eventwire", ["tail", `http://127.0.0.1:${server.address().port}/events`, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
let out = "";
let err = "";
tail.stdout.on("data", (chunk) => (out += chunk));
tail.stderr.on("data", (chunk) => (err += chunk));
const deadline = Date.now() + 30_000;
while (!err.includes("connected")) {
  if (Date.now() > deadline) throw new Error(`cli: never connected: ${err}`);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const id = await hub.publish({ event: "smoke" });
while (!out.includes("\n")) {
  if (Date.now() > deadline) throw new Error(`cli: printed nothing: ${err}`);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
tail.kill("SIGINT");
await hub.close();
server.close();
if (out !== `${JSON.stringify({ event: "smoke", id })}\n`) throw new Error(`cli: printed ${out}`);
console.log("cli: ok");

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { rawRequest, SseClient, until, WsClient } from "@eventwire/conformance";
import { afterAll, describe, expect, inject, it } from "vitest";
import { repo, repoVersion } from "./packed-tarballs.js";
import { fileOf, installedBy, readmeBlocks } from "./readme-blocks.js";
import { freePort, serveSetup, type ServedSetup } from "./served-setup.js";

// Each package README's setup for its platforms, copied out of the README as a user would, into a
// fresh project outside the repository that installs what the README's install line names (the
// @eventwire packages from their npm pack tarballs, the rest at the versions this repo tests), run
// with the README's own command: it serves, an SSE stream and a WebSocket receive an event
// published through the app's own route, and SIGTERM stops it cleanly.

const tarballs = inject("tarballs");
const projects: string[] = [];
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/**
 * The runtimes, from this repo's dev dependencies on the npm registry's packages: the platform
 * packages hold the binaries (`bun`'s and `deno`'s install scripts, when they run, move or link
 * them into their own folders). A runtime with no binary is undefined and its case says so.
 */
const firstExisting = (...paths: string[]) => paths.map((path) => join(repo, "node_modules", path)).find((path) => existsSync(path));
const binaries: Record<string, string | undefined> = {
  node: process.execPath,
  bun: firstExisting("@oven/bun-linux-x64/bin/bun", "bun/bin/bun.exe"),
  deno: firstExisting("@deno/linux-x64-glibc/deno", "deno/deno"),
};

/** A project with what `install` (a README's sh block) names; `versions` pins third-party ones. */
function installProject(install: string, versions: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "eventwire-readme-"));
  projects.push(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "eventwire-readme-setup", private: true }));
  const specs = installedBy(install).map((name) => (name.startsWith("@eventwire/") ? tarballs[name.slice("@eventwire/".length)]! : `${name}@${versions[name] ?? repoVersion(name)}`));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...specs], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  return dir;
}

/** Saves a README block as the file its opening comment names, on `port` instead of 3000. */
function save(dir: string, code: string, port = 3000): string {
  const { file, says } = fileOf(code);
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  const onPort = code.replace(/\b3000\b/g, String(port));
  if (port !== 3000 && onPort === code) throw new Error(`${file}: the README block no longer serves on 3000`);
  writeFileSync(join(dir, file), onPort);
  return says;
}

/** Saves and runs a runnable block with the command its opening comment gives (`node server.mjs, then`). */
async function runBlock(dir: string, code: string): Promise<ServedSetup> {
  const port = await freePort();
  const [runtime, ...args] = save(dir, code, port).split(",")[0]!.trim().split(/\s+/);
  const binary = binaries[runtime!];
  if (!binary) throw new Error(`the README runs its server with ${runtime}, which this test has no binary for (npm ci installs bun and deno)`);
  return serveSetup(dir, binary, args, port, { DENO_NO_UPDATE_CHECK: "1" });
}

/** An SSE stream and a WebSocket on one call receive the word the app's own route publishes, once each. */
async function expectBothTransportsReceive(port: number): Promise<void> {
  const stream = `127.0.0.1:${port}/events?session=CA_1`;
  const sse = await SseClient.open(`http://${stream}`);
  const ws = await WsClient.connect(`ws://${stream}`).catch((error: unknown) => (sse.close(), Promise.reject(error)));
  try {
    expect([sse.status, sse.headers["content-type"]?.split(";")[0]]).toEqual([200, "text/event-stream"]);
    await until(() => sse.raw.includes("retry:"), "the SSE stream to open");
    const published = await fetch(`http://127.0.0.1:${port}/calls/CA_1/words`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ word: "hi" }) });
    const { id } = (await published.json()) as { id: string };
    await until(() => sse.events.length > 0 && ws.events.length > 0, "the published word on both transports");
    const expected = [{ event: "bot.word", callId: "CA_1", word: "hi", id }];
    expect({ status: published.status, sse: sse.events, ws: ws.events }).toEqual({ status: 200, sse: expected, ws: expected });
  } finally {
    sse.close();
    ws.close();
  }
}

/** Runs a README's server block: both transports receive, and SIGTERM ends it with exit code 0. */
async function expectServesAndStops(dir: string, code: string): Promise<void> {
  const server = await runBlock(dir, code);
  let exit: Awaited<ReturnType<ServedSetup["stop"]>>;
  try {
    await expectBothTransportsReceive(server.port);
  } finally {
    exit = await server.stop();
  }
  expect(exit).toEqual({ code: 0, signal: null });
}

describe("README setups, installed from the tarballs", () => {
  it("@eventwire/hono on Node (@hono/node-server): the README's server.mjs", async () => {
    const dir = installProject(readmeBlocks("hono", "@eventwire/hono", "sh")[0]!);
    await expectServesAndStops(dir, readmeBlocks("hono", "A runnable app (Node)", "js")[0]!);
  });

  it("@eventwire/hono on Bun (hono/bun): the README's server.js, run by bun", async () => {
    const dir = installProject(readmeBlocks("hono", "Bun", "sh")[0]!);
    await expectServesAndStops(dir, readmeBlocks("hono", "Bun", "js")[0]!);
  });

  it("@eventwire/hono on Deno (hono/deno): the README's server.js, run by deno", async () => {
    const dir = installProject(readmeBlocks("hono", "Deno", "sh")[0]!);
    await expectServesAndStops(dir, readmeBlocks("hono", "Deno", "js")[0]!);
  });

  // The README's peer range: 4.21+ and 5, each major its own project.
  it.each([["4", repoVersion("express4")], ["5", repoVersion("express")]])("@eventwire/express on Express %s: the README's server.mjs", async (major, version) => {
    const dir = installProject(readmeBlocks("express", "@eventwire/express", "sh")[0]!, { express: version });
    expect(JSON.parse(readFileSync(join(dir, "node_modules/express/package.json"), "utf8")).version).toMatch(new RegExp(`^${major}\\.`));
    await expectServesAndStops(dir, readmeBlocks("express", "A runnable app", "js")[0]!);
  });

  it("@eventwire/fastify on Fastify 5: the README's server.mjs", async () => {
    const dir = installProject(readmeBlocks("fastify", "@eventwire/fastify", "sh")[0]!);
    await expectServesAndStops(dir, readmeBlocks("fastify", "A runnable app", "js")[0]!);
  });
});

describe("the client README's Try it, installed from the tarballs", () => {
  it("@eventwire/client on Node: the README's demo.mjs runs to its end, every word and the ping's pong received", async () => {
    const dir = installProject(readmeBlocks("client", "Try it", "sh")[0]!);
    const code = readmeBlocks("client", "Try it", "js")[0]!;
    const [runtime, ...args] = save(dir, code, await freePort()).trim().split(/\s+/);
    expect(runtime).toBe("node");
    const output = execFileSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 30_000 });
    const lines = output.trim().split("\n");
    expect(lines.filter((line) => !line.startsWith("status:")).map((line) => line.replace(/^\S+(?= (hello|from|the|agent)$)/, "<id>"))).toEqual([
      "<id> hello", "<id> from", "<id> the", "<id> agent", "pong",
    ]);
    expect(lines.filter((line) => line.startsWith("status:"))).toEqual(["status: connecting", "status: connected", "status: closed"]);
  });
});

/** What `create-next-app` gives beside the README's install line: Next, React and TypeScript. */
const nextApp = "npm install next react react-dom typescript @types/react @types/node\n";

describe("the Next README setups, installed from the tarballs", () => {
  // The README's files saved into the app, `next build`, `next start`, then its own sh lines: the
  // SSE `curl -N`, the publishing `curl`, and `npx wscat` where the README says WebSockets work
  // (next-pages: once the first request ran the route); without that line (next-app: a route
  // handler cannot upgrade) `next start` must leave a handshake unanswered.
  it.each(["next-app", "next-pages"])("@eventwire/%s: the README's three files under next build and next start, read with its own lines", async (name) => {
    const dir = installProject(`${readmeBlocks(name, `@eventwire/${name}`, "sh")[0]!}${nextApp}`);
    for (const code of readmeBlocks(name, "A runnable app", "ts")) save(dir, code);
    const next = join(dir, "node_modules/next/dist/bin/next");
    const env = { NEXT_TELEMETRY_DISABLED: "1" };
    execFileSync(process.execPath, [next, "build"], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] });
    const port = await freePort();
    const server = await serveSetup(dir, process.execPath, [next, "start", "-p", String(port), "-H", "127.0.0.1"], port, env);
    const sh = readmeBlocks(name, "A runnable app", "sh")[0]!;
    const line = (pattern: RegExp) => pattern.exec(sh)?.[1]?.replace("localhost:3000", `127.0.0.1:${port}`);
    const stream = line(/^curl -N "(http:\/\/localhost:3000[^"]+)"/m)!;
    const publish = line(/^curl "(http:\/\/localhost:3000[^"]+)"/m)!;
    const websocket = line(/^npx wscat -c "(ws:\/\/localhost:3000[^"]+)"/m);
    try {
      const sse = await SseClient.open(stream);
      expect([sse.status, sse.headers["content-type"]?.split(";")[0]]).toEqual([200, "text/event-stream"]);
      await until(() => sse.raw.includes("retry:"), "the SSE stream to open");
      const ws = websocket ? await WsClient.connect(websocket) : undefined;
      try {
        const published = await fetch(publish);
        const { id } = (await published.json()) as { id: string };
        await until(() => sse.events.length > 0 && (!ws || ws.events.length > 0), "the published word on every transport the README names");
        const expected = [{ event: "bot.word", callId: "CA_1", word: "hi", id }];
        expect({ status: published.status, sse: sse.events, ws: ws?.events }).toEqual({ status: 200, sse: expected, ws: ws ? expected : undefined });
      } finally {
        sse.close();
        ws?.close();
      }
      if (!websocket) {
        const { pathname, search } = new URL(stream);
        const handshake = await rawRequest(port, `GET ${pathname}${search} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
        expect(handshake).toBe(0);
      }
    } finally {
      await server.stop();
    }
  });
});

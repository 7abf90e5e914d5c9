import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { createHub, type Hub } from "@eventwire/core";
import { until } from "@eventwire/conformance";
import { redisBus } from "@eventwire/redis";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// End to end: the built `eventwire` command against a web process that is killed and restarted,
// both child processes; the events come from an agent hub (this process) on the same Redis stream.
const REDIS_URL = process.env.EVENTWIRE_REDIS_URL ?? "redis://127.0.0.1:6379";
const cli = resolve(import.meta.dirname, "../dist/cli.js");
const stream = `eventwire-cli-test-${process.pid}`;
const children: ChildProcess[] = [];
let agent: Hub;

beforeAll(() => {
  agent = createHub({ authorize: true, bus: redisBus({ url: REDIS_URL, stream }) });
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});
afterAll(async () => {
  await agent.close();
  const redis = new Redis(REDIS_URL);
  await redis.del(stream, `${stream}:epoch`);
  redis.disconnect();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

function run(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const output = { out: "", err: "", exit: undefined as number | null | undefined };
  child.stdout!.on("data", (chunk) => (output.out += chunk));
  child.stderr!.on("data", (chunk) => (output.err += chunk));
  child.once("exit", (code) => (output.exit = code));
  return { child, output };
}

async function startWeb(port: number) {
  const web = run("node", [resolve(import.meta.dirname, "hub-server.mjs")], { PORT: String(port), REDIS_URL, STREAM: stream });
  await until(() => web.output.out.includes("listening") || web.output.exit !== undefined, "the web process to listen", 20_000);
  if (web.output.exit !== undefined) throw new Error(`the web process exited: ${web.output.err}`);
  return web;
}

const publish = async (from: number, to: number, session = "CA_1") => {
  for (let n = from; n <= to; n++) await agent.publish({ event: "bot.word", sessionId: session, n });
};
const numbers = (out: string) => out.trim().split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { n: number }).n);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(["sse", "websocket"] as const)("eventwire tail over %s", (transport) => {
  it("streams, survives the server's death and restart, and resumes with nothing lost or repeated", async () => {
    const port = await freePort();
    let web = await startWeb(port);
    const tail = run("node", [cli, "tail", `http://127.0.0.1:${port}/events`, "--transport", transport, "--session", "CA_1", "--json"]);
    await until(() => tail.output.err.includes("connected"), "the tail to connect", 20_000);
    await publish(1, 5);
    await agent.publish({ event: "bot.word", sessionId: "CA_2", n: -1 }); // another session: not shown
    await until(() => numbers(tail.output.out).length >= 5, "the first five events", 20_000);

    web.child.kill("SIGKILL");
    await until(() => web.output.exit !== undefined && tail.output.err.includes("reconnecting"), "the tail to see the server gone", 20_000);
    await publish(6, 10); // while no web process runs
    web = await startWeb(port);
    await until(() => numbers(tail.output.out).length >= 10, "the events published while the server was down", 30_000);
    await publish(11, 12);
    await until(() => numbers(tail.output.out).length >= 12, "live events after the resume", 20_000);

    expect(numbers(tail.output.out)).toEqual(range(1, 12));
    expect(tail.output.err).toMatch(/connected to .* resuming after /);
    expect(tail.output.err).not.toMatch(/gap/);
  });
});

describe.each(["sse", "websocket"] as const)("eventwire tail --from over %s", (transport) => {
  it("--from earliest prints every retained event of the view, oldest first, then live; --from <id> resumes right after that id", async () => {
    const port = await freePort();
    await startWeb(port);
    const session = `CA_from_${transport}`;
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push(await agent.publish({ event: "bot.word", sessionId: session, n }));
    await agent.publish({ event: "bot.word", sessionId: "CA_other", n: -1 }); // another session: not shown

    const url = `http://127.0.0.1:${port}/events`;
    const earliest = run("node", [cli, "tail", url, "--transport", transport, "--session", session, "--from", "earliest", "--json"]);
    const after3 = run("node", [cli, "tail", url, "--transport", transport, "--session", session, "--from", ids[2]!, "--json"]);
    await until(() => numbers(earliest.output.out).length >= 5 && numbers(after3.output.out).length >= 2, "both tails to replay the history", 20_000);
    await publish(6, 7, session);
    await until(() => numbers(earliest.output.out).length >= 7 && numbers(after3.output.out).length >= 4, "both tails to print live events", 20_000);

    expect([numbers(earliest.output.out), numbers(after3.output.out)]).toEqual([range(1, 7), range(4, 7)]);
    expect(earliest.output.err + after3.output.err).not.toMatch(/gap/);
  });
});

describe("eventwire tail", () => {
  it("prints readable lines: time, name, session, fields", async () => {
    const port = await freePort();
    await startWeb(port);
    const tail = run("node", [cli, "tail", `http://127.0.0.1:${port}/events`, "--events", "call.*"], { NO_COLOR: "1" });
    await until(() => tail.output.err.includes("connected"), "the tail to connect", 20_000);
    await agent.publish({ event: "bot.word", sessionId: "CA_9", word: "skipped" });
    await agent.publish({ event: "call.started", sessionId: "CA_9", from: "+1234" });
    await until(() => tail.output.out.includes("call.started"), "the call.started line", 20_000);
    expect(tail.output.out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}call\.started {2}CA_9 {2}from="\+1234"\n$/);
  });

  it("exits 1 with the server's reason when the stream is refused, and 2 on bad arguments", async () => {
    const port = await freePort();
    await startWeb(port);
    const refused = run("node", [cli, "tail", `http://127.0.0.1:${port}/events`, "--events", "not a name"]);
    const bad = run("node", [cli, "tail", "localhost:3000", "--transport", "carrier-pigeon"]);
    const badFrom = run("node", [cli, "tail", `http://127.0.0.1:${port}/events`, "--from", ""]);
    await until(() => [refused, bad, badFrom].every((tail) => tail.output.exit !== undefined), "all three to exit", 20_000);
    expect([refused.output.exit, bad.output.exit, badFrom.output.exit]).toEqual([1, 2, 2]);
    expect(badFrom.output.err).toMatch(/--from takes earliest, live or an event id/);
    expect(refused.output.err).toMatch(/refused: bad_request/);
    expect(bad.output.err).toMatch(/eventwire: /);
  });
});

import { runServerCrashCases } from "@eventwire/conformance";

// The Fastify app of the conformance suite, in a child process that is killed mid-stream.
runServerCrashCases("fastify", { module: new URL("./server.ts", import.meta.url).href, export: "startServer" });

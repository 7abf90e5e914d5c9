import { runServerCrashCases } from "@eventwire/conformance";

// The Hono app of the conformance suite, in a child process that is killed mid-stream.
runServerCrashCases("hono", { module: new URL("./server.ts", import.meta.url).href, export: "startServer" });

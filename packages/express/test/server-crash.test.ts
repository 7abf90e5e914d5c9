import { runServerCrashCases } from "@eventwire/conformance";

// The Express app of the conformance suite, in a child process that is killed mid-stream.
runServerCrashCases("express", { module: new URL("./server.ts", import.meta.url).href, export: "startServer" });

import { runServerCrashCases } from "@eventwire/conformance";

// The fixture app on Next's production server, in a child process that is killed mid-stream.
runServerCrashCases("next-app (next build, production server)", { module: new URL("./server.ts", import.meta.url).href, export: "startServer" });

import { runHostileCases } from "@eventwire/conformance";

// Hostile input against the server of the conformance suite, in a child process: a crash fails the test.
runHostileCases("hono", { module: new URL("./server.ts", import.meta.url).href, export: "startServer" });

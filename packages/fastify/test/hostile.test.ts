import { runHostileCases } from "@eventwire/conformance";

// Hostile input against the server of the conformance suite, in a child process: a crash fails the test.
runHostileCases("fastify", { module: new URL("./server.ts", import.meta.url).href, export: "startServer" });

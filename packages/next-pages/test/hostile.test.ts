import { runHostileCases } from "@eventwire/conformance";

// Hostile input against the fixture app on Next's production server, in a child process: a crash fails the test.
runHostileCases("next-pages (next build, production server)", { module: new URL("./server.ts", import.meta.url).href, export: "startServer" });

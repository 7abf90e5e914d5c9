import { runHostileCases } from "../src/index.js";

// Hostile input against core on a bare node:http server, mounted as core's README shows, in a child process.
runHostileCases("node:http", { module: new URL("../src/node-http-server.ts", import.meta.url).href, export: "nodeHttpServer" });

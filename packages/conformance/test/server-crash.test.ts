import { runServerCrashCases } from "../src/index.js";

// Core on a bare node:http server, in a child process that is killed mid-stream.
runServerCrashCases("node:http", { module: new URL("../src/node-http-server.ts", import.meta.url).href, export: "nodeHttpServer" });

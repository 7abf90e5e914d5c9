import { nodeHttpServer, runConformance } from "../src/index.js";

// The suite on the simplest server there is: core on a bare node:http server.
runConformance("node:http", nodeHttpServer);

import express4 from "express4";
import { runExpressConformance } from "./server.js";

// The whole suite on Express 4.21+ (the peer range takes 4 and 5): the same middleware, unchanged.
runExpressConformance("express 4", express4);

import express from "express";
import { runExpressConformance } from "./server.js";

// The whole suite on Express 5: the middleware on the app, and on a Router under /api.
runExpressConformance("express 5", express);

import http from "node:http";
import https from "node:https";
import type { Hub } from "@eventwire/core";
import express from "express";
import { describe, expectTypeOf, it } from "vitest";
import { eventwire, type EventwireMiddleware } from "../src/index.js";

declare const hub: Hub;

describe("@eventwire/express types", () => {
  it("mounts where Express takes a middleware, and attach returns the server it is given", () => {
    const events = eventwire(hub, { path: "/events", upgradePath: "/api/events" });
    expectTypeOf(events).toEqualTypeOf<EventwireMiddleware>();
    express().use(events);
    express.Router().use(events);
    express().use("/api", events);
    expectTypeOf(events.attach(http.createServer())).toEqualTypeOf<http.Server>();
    expectTypeOf(events.attach(https.createServer())).toEqualTypeOf<https.Server>();
    // @ts-expect-error: the options are paths
    eventwire(hub, { path: 1 });
  });
});

import type { Hub } from "@eventwire/core";
import type { NextApiHandler } from "next";
import { describe, expectTypeOf, it } from "vitest";
import { attach, eventwire, globalHub, type EventwireApiHandler } from "../src/index.js";

declare const hub: Hub;

describe("@eventwire/next-pages types", () => {
  it("makes a Pages-router API handler from a hub or a function returning one", () => {
    expectTypeOf(eventwire(hub)).toEqualTypeOf<EventwireApiHandler>();
    expectTypeOf(eventwire(() => hub, { path: "/api/events" })).toExtend<NextApiHandler>();
    expectTypeOf(globalHub("events", () => hub)).toEqualTypeOf<Hub>();
    expectTypeOf(attach).parameter(1).toEqualTypeOf<Hub | (() => Hub)>();
    // @ts-expect-error: globalHub's factory must make a hub
    globalHub("events", () => ({}));
  });
});

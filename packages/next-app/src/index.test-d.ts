import { createHub, type Hub } from "@eventwire/core";
import type { NextRequest } from "next/server.js";
import { describe, expectTypeOf, it } from "vitest";
import { eventwire, globalHub, type EventwireRouteHandlers, type RouteHandler } from "./index.js";

/** What Next's generated route types require of an App-router GET (`app/**\/route.ts`). */
type NextRouteHandler = (request: NextRequest, context: { params: Promise<Record<string, string>> }) => Response | Promise<Response>;

describe("@eventwire/next-app's route handlers", () => {
  it("returns GET and OPTIONS that Next accepts as route exports", () => {
    const { GET, OPTIONS } = eventwire(createHub());
    expectTypeOf(eventwire(createHub())).toEqualTypeOf<EventwireRouteHandlers>();
    expectTypeOf(GET).toEqualTypeOf<RouteHandler>();
    expectTypeOf(GET).parameters.toEqualTypeOf<[Request]>();
    expectTypeOf(GET).returns.toEqualTypeOf<Promise<Response>>();
    expectTypeOf(GET).toMatchTypeOf<NextRouteHandler>();
    expectTypeOf(OPTIONS).toMatchTypeOf<NextRouteHandler>();
  });

  it("takes a hub of any scopes, or a function returning one, and nothing else", () => {
    eventwire(createHub({ scopes: { tenant: "orgId" } }));
    eventwire(() => createHub());
    // @ts-expect-error a hub's options are not a hub
    eventwire({ sessionKey: "callId" });
    // @ts-expect-error the hub comes first
    eventwire();
  });

  it("types remoteAddress as a function of the Web request", () => {
    eventwire(createHub(), { remoteAddress: (request) => (expectTypeOf(request).toEqualTypeOf<Request>(), undefined) });
    eventwire(createHub(), { remoteAddress: (request) => request.headers.get("x-real-ip") ?? undefined });
    // @ts-expect-error an address is a string
    eventwire(createHub(), { remoteAddress: () => 1 });
  });
});

describe("globalHub", () => {
  it("returns the hub with the type create gave it", () => {
    const hub = globalHub("types", () => createHub({ scopes: { tenant: "orgId" } }));
    expectTypeOf(hub).toEqualTypeOf<Hub<"tenant">>();
    // @ts-expect-error "team" is not a declared scope of this hub
    void hub.revoke({ scopes: { team: ["x"] } });
    // @ts-expect-error create returns a hub
    globalHub("types", () => ({}));
  });
});

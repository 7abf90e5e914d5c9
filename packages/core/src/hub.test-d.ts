import { describe, expectTypeOf, it } from "vitest";
import { createHub, type Hub } from "./hub.js";

describe("createHub's scopes type grants, stream options and revocations", () => {
  it("infers the declared scope names", () => {
    const hub = createHub({ scopes: { tenant: "orgId", agent: "agent" } });
    expectTypeOf(hub).toEqualTypeOf<Hub<"tenant" | "agent">>();
    expectTypeOf(createHub({})).toEqualTypeOf<Hub<never>>();
    // Any hub is a Hub, as adapters take it.
    expectTypeOf(hub).toMatchTypeOf<Hub>();
    expectTypeOf(createHub()).toMatchTypeOf<Hub>();
  });

  it("accepts grants of declared scopes, and rejects an undeclared one", () => {
    createHub({ scopes: { tenant: "orgId" }, authorize: () => ({ scopes: { tenant: ["acme"] }, subject: "u1", expiresAt: 1 }) });
    createHub({ scopes: { tenant: "orgId" }, authorize: async () => ({ sessions: ["CA_1"], scopes: { tenant: ["acme"] } }) });
    // @ts-expect-error "team" is not a declared scope
    createHub({ scopes: { tenant: "orgId" }, authorize: () => ({ scopes: { team: ["x"] } }) });
    // @ts-expect-error no scopes are declared
    createHub({ authorize: () => ({ scopes: { tenant: ["acme"] } }) });
    createHub({ authorize: () => ({ sessions: ["CA_1"] }) });
  });

  it("types revoke selectors and stream options by the declared scopes", () => {
    const hub = createHub({ scopes: { tenant: "orgId" } });
    void hub.revoke({ subject: "u1", scopes: { tenant: ["acme"] } });
    // @ts-expect-error "team" is not a declared scope
    void hub.revoke({ scopes: { team: ["x"] } });
    void hub.admit({ method: "GET", url: "/", headers: {} }, { scopes: { tenant: ["acme"] } });
    // @ts-expect-error "team" is not a declared scope
    void hub.admit({ method: "GET", url: "/", headers: {} }, { scopes: { team: ["x"] } });
  });

  it("gives the cursor as a string promise, and takes earliest as a lastEventId", () => {
    const hub = createHub();
    expectTypeOf(hub.cursor()).toEqualTypeOf<Promise<string>>();
    void hub.admit({ method: "GET", url: "/", headers: {} }, { lastEventId: "earliest" });
  });

  it("types replay compaction: a merge may type its run, and returns an event", () => {
    type Word = { event: "bot.word"; callId: string; word: string };
    createHub({ compact: { "bot.word": (run: (Word & { id: string })[]) => ({ event: "bot.word", callId: run[0]!.callId, word: run.map((w) => w.word).join(" ") }) } });
    createHub({
      compact: {
        "bot.word": (run) => {
          expectTypeOf(run[0]!.id).toEqualTypeOf<string>();
          expectTypeOf(run[0]!.event).toEqualTypeOf<string>();
          return run.at(-1)!;
        },
      },
    });
    // @ts-expect-error: a merge returns one event, an object with its `event`
    createHub({ compact: { "bot.word": () => 42 } });
    // @ts-expect-error: the merged event needs its `event` name
    createHub({ compact: { "bot.word": (run) => ({ word: run.length }) } });
  });
});

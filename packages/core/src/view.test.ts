import { describe, expect, it } from "vitest";
import { checkGrant, Refusal } from "./authorize.js";
import { View, viewOf } from "./view.js";

const declared = new Map([["tenant", "orgId"], ["agent", "agent"]]);
const grantOf = (answer: unknown) => {
  const grant = checkGrant(answer, declared, 1_000);
  if (grant instanceof Refusal) throw new Error(`refused: ${grant.code}`);
  return grant;
};
const sees = (answer: unknown, event: { session?: string; [field: string]: unknown }, options = {}) => {
  const view = viewOf(grantOf(answer), options, declared);
  if (view instanceof Refusal) throw new Error(`refused: ${view.code}`);
  return view.sees({ session: event.session, field: (name) => event[name] as string | undefined });
};

describe("grants and views (protocol: Sessions, scopes and authorization)", () => {
  it("limits by every key given (AND) to any value listed (OR); an event without a limited field is not seen", () => {
    const grant = { scopes: { tenant: ["acme", "globex"], agent: ["pines"] } };
    expect(sees(grant, { orgId: "acme", agent: "pines" })).toBe(true);
    expect(sees(grant, { orgId: "globex", agent: "pines", session: "S1" })).toBe(true);
    expect(sees(grant, { orgId: "acme", agent: "julia" })).toBe(false);
    expect(sees(grant, { orgId: "initech", agent: "pines" })).toBe(false);
    expect(sees(grant, { agent: "pines" })).toBe(false);
    expect(sees({ sessions: ["S1"] }, { orgId: "acme" })).toBe(false);
    expect(sees({ sessions: ["S1"], scopes: { tenant: ["acme"] } }, { session: "S1", orgId: "acme" })).toBe(true);
    expect(sees({ sessions: ["S1"], scopes: { tenant: ["acme"] } }, { session: "S1", orgId: "globex" })).toBe(false);
  });

  it("keeps true, { sessions } and a grant without limits working as before", () => {
    expect(sees(true, {})).toBe(true);
    expect(sees({ principal: "ada" }, { orgId: "any" })).toBe(true);
    expect(sees({ sessions: ["S1"] }, { session: "S1" })).toBe(true);
    expect(sees({ sessions: ["S1"] }, { session: "S2" })).toBe(false);
    expect(checkGrant(false, declared, 0)).toMatchObject({ status: 401, code: "unauthenticated" });
  });

  it("narrows within the grant, and refuses (403) a query naming any value outside it, even beside allowed ones", () => {
    const grant = grantOf({ scopes: { tenant: ["acme", "globex"] } });
    const narrowed = viewOf(grant, { scopes: { tenant: ["acme"], agent: ["pines"] } }, declared);
    expect(narrowed).not.toBeInstanceOf(Refusal);
    expect((narrowed as Exclude<typeof narrowed, Refusal>).scopes.map((l) => [l.name, [...l.values]])).toEqual([["tenant", ["acme"]], ["agent", ["pines"]]]);
    expect(viewOf(grant, { scopes: { tenant: ["acme", "initech"] } }, declared)).toMatchObject({ status: 403, code: "forbidden" });
    expect(viewOf(grantOf({ sessions: ["S1"] }), { sessionId: "S2" }, declared)).toMatchObject({ status: 403 });
  });

  it("throws a TypeError naming an undeclared scope in a grant, and refuses an expired one (401)", () => {
    expect(() => checkGrant({ scopes: { team: ["x"] } }, declared, 0)).toThrow(new TypeError('authorize: scope "team" is not declared in createHub({ scopes }) (declared: tenant, agent)'));
    expect(() => checkGrant({ scopes: { tenant: "acme" } }, declared, 0)).toThrow(TypeError);
    expect(() => checkGrant({ sessions: "S1" }, declared, 0)).toThrow(TypeError);
    expect(() => checkGrant({ expiresAt: "soon" }, declared, 0)).toThrow(TypeError);
    expect(checkGrant({ expiresAt: 1_000 }, declared, 1_000)).toMatchObject({ status: 401, code: "expired" });
    expect(checkGrant({ expiresAt: 1_001 }, declared, 1_000)).toMatchObject({ expiresAt: 1_001 });
  });

  it("names the value it refuses, and narrows granted sessions to the one asked for", () => {
    const grant = grantOf({ sessions: ["S1", "S2"], scopes: { tenant: ["acme"] } });
    expect(viewOf(grant, { sessionId: "S3" }, declared)).toEqual(new Refusal(403, "forbidden", 'session "S3" is not allowed for this connection'));
    expect(viewOf(grant, { scopes: { tenant: ["acme", "initech"] } }, declared)).toEqual(new Refusal(403, "forbidden", 'tenant "initech" is not allowed for this connection'));
    const view = viewOf(grant, { sessionId: "S2" }, declared) as View;
    expect([...view.sessions!]).toEqual(["S2"]);
    expect(view.sees({ session: "S1", field: () => "acme" })).toBe(false);
    expect(view.sees({ session: "S2", field: () => "acme" })).toBe(true);
  });

  it("is filed under sessions first, else under the scope with fewest values (the first of equals), else nothing", () => {
    const limit = (name: string, ...values: string[]) => ({ name, field: name, values: new Set(values) });
    const tenant = limit("tenant", "acme", "globex");
    const agent = limit("agent", "pines");
    const region = limit("region", "eu");
    expect(new View(new Set(["S1"]), [agent]).indexedBy).toBe("session");
    expect(new View(undefined, [tenant, agent]).indexedBy).toBe(agent);
    expect(new View(undefined, [agent, tenant]).indexedBy).toBe(agent);
    expect(new View(undefined, [agent, region]).indexedBy).toBe(agent);
    expect(new View(undefined, [region, agent]).indexedBy).toBe(region);
    expect(new View(undefined, []).indexedBy).toBeUndefined();
  });

  it("tells the values it limits a scope to, and shares one view among streams nothing limits", () => {
    const view = viewOf(grantOf({ scopes: { tenant: ["acme"] } }), { scopes: { agent: ["pines", "julia"] } }, declared) as View;
    expect([...view.limitOf("tenant")!]).toEqual(["acme"]);
    expect([...view.limitOf("agent")!]).toEqual(["pines", "julia"]);
    expect(view.limitOf("region")).toBeUndefined();
    const everything = viewOf(grantOf(true), {}, declared) as View;
    expect(everything).toBe(viewOf(grantOf({ principal: "ada" }), {}, declared));
    expect(everything).toMatchObject({ sessions: undefined, scopes: [], indexedBy: undefined });
  });
});

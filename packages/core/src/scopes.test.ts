import { describe, expect, it } from "vitest";
import { readScopeValues, resolveScopes } from "./scopes.js";

// Declared scopes and the values a grant, code or a revocation gives for them
// (docs/protocol.md#sessions-scopes-and-authorization): what is refused, with the exact TypeError.
describe("resolveScopes (createHub({ scopes }))", () => {
  it("maps each scope name to its event field, and nothing when none is given", () => {
    expect([...resolveScopes({ tenant: "orgId", "agent_2-x": "agent" })]).toEqual([["tenant", "orgId"], ["agent_2-x", "agent"]]);
    expect(resolveScopes(undefined).size).toBe(0);
  });

  it.each([["tenant"], [1], [null], [["tenant"]]])("refuses %j as the scopes option", (scopes) => {
    expect(() => resolveScopes(scopes as never)).toThrow(new TypeError('createHub: scopes must be an object of scope name → event field, e.g. { tenant: "orgId" }'));
  });

  it.each(["1tenant", "-x", "a b", "t".repeat(65), "session", "events", "include", "lastEventId"])("refuses the scope name %j", (name) => {
    expect(() => resolveScopes({ [name]: "field" })).toThrow(
      new TypeError(`createHub: scope name ${JSON.stringify(name)} must be a letter then letters, digits, "_" or "-", and not one of session, events, include, lastEventId`),
    );
  });

  it.each([1, "", "id", "event", undefined])("refuses the event field %j", (field) => {
    expect(() => resolveScopes({ tenant: field } as never)).toThrow(new TypeError(`createHub: scope "tenant" must name an event field other than "id" and "event", got ${JSON.stringify(field)}`));
  });
});

describe("readScopeValues (a grant's, code's or a revocation's scopes)", () => {
  const declared = resolveScopes({ tenant: "orgId", agent: "agentId" });

  it("copies each declared scope's list as a set, skipping one given as undefined", () => {
    const read = readScopeValues({ tenant: ["acme", "globex", "acme"], agent: undefined }, declared, "grant");
    expect([...read].map(([name, values]) => [name, [...values]])).toEqual([["tenant", ["acme", "globex"]]]);
    expect(readScopeValues(undefined, declared, "grant").size).toBe(0);
  });

  it.each([["acme"], [1], [null], [["acme"]]])("refuses %j as the scopes, naming where they came from", (values) => {
    expect(() => readScopeValues(values, declared, "revoke")).toThrow(new TypeError("revoke: scopes must be an object of scope name → list of values"));
  });

  it("refuses an undeclared scope, listing the declared ones or saying there are none", () => {
    expect(() => readScopeValues({ region: ["eu"] }, declared, "grant")).toThrow(new TypeError('grant: scope "region" is not declared in createHub({ scopes }) (declared: tenant, agent)'));
    expect(() => readScopeValues({ region: ["eu"] }, new Map(), "grant")).toThrow(new TypeError('grant: scope "region" is not declared in createHub({ scopes }) (none are declared)'));
  });

  it.each([["acme"], [["acme", 1]], [[1]], [{ 0: "acme" }]])("refuses %j as a scope's values", (values) => {
    expect(() => readScopeValues({ tenant: values }, declared, "grant")).toThrow(new TypeError('grant: scope "tenant" must be a list of strings'));
  });
});

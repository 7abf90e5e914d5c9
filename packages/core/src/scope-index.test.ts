import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ScopeIndex } from "./scope-index.js";
import { View, type RoutedEvent } from "./view.js";

const fields = { tenant: "orgId", agent: "agent" } as const;
type ScopeName = keyof typeof fields;

interface TestConnection {
  readonly name: string;
  readonly view: View;
}

function view(sessions: string[] | undefined, scopes: Partial<Record<ScopeName, string[]>> = {}): View {
  return new View(
    sessions && new Set(sessions),
    Object.entries(scopes).map(([name, values]) => ({ name, field: fields[name as ScopeName], values: new Set(values) })),
  );
}

function event(session: string | undefined, values: Record<string, string> = {}): RoutedEvent & { read: string[] } {
  const read: string[] = [];
  return { session, read, field: (name) => (read.push(name), values[name]) };
}

function candidates(index: ScopeIndex<TestConnection>, e: RoutedEvent): string[] {
  const names: string[] = [];
  index.forCandidates(e, (c) => names.push(c.name));
  return names;
}

describe("ScopeIndex", () => {
  it("files a connection under its sessions first, else its scope with fewest values, else with everyone", () => {
    const index = new ScopeIndex<TestConnection>();
    const a = { name: "a", view: view(["S1"], { tenant: ["acme"] }) };
    const acme = { name: "acme", view: view(undefined, { tenant: ["acme"], agent: ["pines", "julia"] }) };
    const pines = { name: "pines", view: view(undefined, { tenant: ["acme", "globex"], agent: ["pines"] }) };
    const all = { name: "all", view: view(undefined) };
    for (const c of [a, acme, pines, all]) index.add(c);
    expect(index.sizeOf("session")).toBe(1);
    expect(index.sizeOf("tenant")).toBe(1);
    expect(index.sizeOf("agent")).toBe(1);
    expect(candidates(index, event("S1", { orgId: "acme", agent: "pines" }))).toEqual(["a", "acme", "pines", "all"]);
    expect(candidates(index, event("S2", { orgId: "globex", agent: "julia" }))).toEqual(["all"]);
    expect(candidates(index, event(undefined, { orgId: "acme" }))).toEqual(["acme", "all"]);
  });

  it("never reads an event's fields while no connection is filed under a scope", () => {
    const index = new ScopeIndex<TestConnection>();
    index.add({ name: "s", view: view(["S1"], { tenant: ["acme"] }) });
    index.add({ name: "all", view: view(undefined) });
    const e = event("S1", { orgId: "acme" });
    expect(candidates(index, e)).toEqual(["s", "all"]);
    expect(e.read).toEqual([]);
  });

  it("forgets a value, then a scope, once its last connection is gone", () => {
    const index = new ScopeIndex<TestConnection>();
    const two = { name: "two", view: view(undefined, { tenant: ["acme", "globex"] }) };
    const one = { name: "one", view: view(undefined, { tenant: ["globex"] }) };
    index.add(two);
    index.add(one);
    index.delete(two);
    expect(index.sizeOf("tenant")).toBe(1);
    expect(candidates(index, event(undefined, { orgId: "acme" }))).toEqual([]);
    index.delete(one);
    index.delete(one);
    expect(index.sizeOf("tenant")).toBe(0);
    const e = event(undefined, { orgId: "globex" });
    expect(candidates(index, e)).toEqual([]);
    expect(e.read).toEqual([]);
  });

  it("forgets a session once its last connection is gone", () => {
    const index = new ScopeIndex<TestConnection>();
    const both = { name: "both", view: view(["S1", "S2"]) };
    const one = { name: "one", view: view(["S2"]) };
    index.add(both);
    index.add(one);
    expect(candidates(index, event("S2"))).toEqual(["both", "one"]);
    index.delete(both);
    expect(index.sizeOf("session")).toBe(1);
    expect(candidates(index, event("S1"))).toEqual([]);
    expect(candidates(index, event("S2"))).toEqual(["one"]);
    index.delete(one);
    expect(index.sizeOf("session")).toBe(0);
    expect(candidates(index, event("S2"))).toEqual([]);
  });

  it("files connections of one scope side by side, and deleting one never filed changes nothing", () => {
    const index = new ScopeIndex<TestConnection>();
    const first = { name: "first", view: view(undefined, { tenant: ["acme"] }) };
    const second = { name: "second", view: view(undefined, { tenant: ["acme"] }) };
    const stranger = { name: "stranger", view: view(undefined, { agent: ["pines"] }) };
    index.add(first);
    index.add(second);
    expect(() => index.delete(stranger)).not.toThrow();
    expect(candidates(index, event(undefined, { orgId: "acme" }))).toEqual(["first", "second"]);
    expect(index.sizeOf("tenant")).toBe(1);
  });

  // Generated views and events: every connection that sees an event is offered it exactly once,
  // and only connections filed under one of the event's values (or seeing everything) are offered it.
  it("offers each event to every connection that sees it, once, and to no connection filed elsewhere", () => {
    const value = (prefix: string) => fc.constantFrom(`${prefix}1`, `${prefix}2`, `${prefix}3`);
    const list = (prefix: string) => fc.option(fc.uniqueArray(value(prefix), { minLength: 1, maxLength: 3 }), { nil: undefined });
    const viewArb = fc.record({ sessions: list("S"), tenant: list("t"), agent: list("a") });
    const eventArb = fc.record({ session: fc.option(value("S"), { nil: undefined }), orgId: fc.option(value("t"), { nil: undefined }), agent: fc.option(value("a"), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(viewArb, { maxLength: 30 }), fc.array(eventArb, { minLength: 1, maxLength: 10 }), (views, events) => {
        const index = new ScopeIndex<TestConnection>();
        const connections = views.map((v, i) => {
          const scopes: Partial<Record<ScopeName, string[]>> = {};
          if (v.tenant) scopes.tenant = v.tenant;
          if (v.agent) scopes.agent = v.agent;
          return { name: `c${i}`, view: view(v.sessions, scopes) };
        });
        for (const c of connections) index.add(c);
        for (const e of events) {
          const values: Record<string, string> = {};
          if (e.orgId) values.orgId = e.orgId;
          if (e.agent) values.agent = e.agent;
          const routed = event(e.session, values);
          const offered = candidates(index, routed);
          expect(new Set(offered).size).toBe(offered.length);
          const seeing = connections.filter((c) => c.view.sees(routed)).map((c) => c.name);
          expect(offered).toEqual(expect.arrayContaining(seeing));
          for (const name of offered) {
            const by = connections.find((c) => c.name === name)!.view.indexedBy;
            const filedValue = by === undefined ? undefined : by === "session" ? e.session : values[by.field];
            if (by !== undefined) expect(filedValue !== undefined && (by === "session" ? connections.find((c) => c.name === name)!.view.sessions! : by.values).has(filedValue)).toBe(true);
          }
        }
      }),
    );
  });
});

import { describe, expect, it } from "vitest";
import { SessionIndex } from "./session-index.js";

const conn = (name: string, sessions?: string[]) => ({ name, sessions });

describe("SessionIndex", () => {
  it("files scoped connections under each of their sessions and unscoped ones apart", () => {
    const index = new SessionIndex<ReturnType<typeof conn>>();
    const a = conn("a", ["S1"]);
    const ab = conn("ab", ["S1", "S2"]);
    const all = conn("all");
    for (const c of [a, ab, all]) index.add(c);
    expect([...(index.scopedTo("S1") ?? [])].map((c) => c.name)).toEqual(["a", "ab"]);
    expect([...(index.scopedTo("S2") ?? [])].map((c) => c.name)).toEqual(["ab"]);
    expect(index.scopedTo("S3")).toBeUndefined();
    expect([...index.unscoped].map((c) => c.name)).toEqual(["all"]);
    expect(index.sessionCount).toBe(2);
  });

  it("forgets a session once its last connection is gone", () => {
    const index = new SessionIndex<ReturnType<typeof conn>>();
    const ab = conn("ab", ["S1", "S2"]);
    const b = conn("b", ["S2"]);
    index.add(ab);
    index.add(b);
    index.delete(ab);
    expect(index.scopedTo("S1")).toBeUndefined();
    expect([...(index.scopedTo("S2") ?? [])].map((c) => c.name)).toEqual(["b"]);
    index.delete(b);
    index.delete(b);
    expect(index.sessionCount).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { RateLimiter } from "./actions.js";

describe("RateLimiter", () => {
  it("allows a burst of perSecond, then refills at perSecond", () => {
    let now = 0;
    const limiter = new RateLimiter(4, () => now);
    expect(Array.from({ length: 6 }, () => limiter.take())).toEqual([true, true, true, true, false, false]);
    now += 250; // one token back
    expect([limiter.take(), limiter.take()]).toEqual([true, false]);
    now += 10_000; // never more than the burst
    expect(Array.from({ length: 5 }, () => limiter.take())).toEqual([true, true, true, true, false]);
  });
});

import { describe, expect, it } from "vitest";
import { backoffDelay, defaultReconnectPolicy, resolveReconnectPolicy } from "./reconnect-policy.js";

describe("backoffDelay", () => {
  const policy = { maxDelayMs: 20_000 };

  it("doubles the ceiling per attempt, from the base, up to maxDelayMs", () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffDelay(attempt, policy, 500, () => 0.999999));
    expect(ceilings).toEqual([499, 999, 1999, 3999, 7999, 15999, 19999, 19999, 19999]);
  });

  it("jitters over the whole range [0, ceiling) (full jitter)", () => {
    expect(backoffDelay(3, policy, 500, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, 500, () => 0.5)).toBe(2000);
    expect(backoffDelay(3, policy, 500, () => 0.25)).toBe(1000);
  });

  it("stays bounded for a huge attempt count", () => {
    expect(backoffDelay(5000, policy, 500, () => 0.5)).toBe(10_000);
  });

  it("uses the base it is given (the server's SSE retry:)", () => {
    expect(backoffDelay(0, policy, 1234, () => 0.5)).toBe(617);
    expect(backoffDelay(1, policy, 1234, () => 0.5)).toBe(1234);
  });
});

describe("resolveReconnectPolicy", () => {
  it("fills the defaults of docs/protocol.md#client", () => {
    expect(resolveReconnectPolicy(undefined)).toEqual({
      initialDelayMs: 500,
      maxDelayMs: 20_000,
      maxRetries: Infinity,
      healthyAfterMs: 5_000,
    });
    expect(resolveReconnectPolicy({ maxRetries: 3 })).toEqual({ ...defaultReconnectPolicy, maxRetries: 3 });
  });

  it("turns reconnect: false into maxRetries 0", () => {
    expect(resolveReconnectPolicy(false).maxRetries).toBe(0);
  });

  it("rejects negative and non-numeric values, naming the option", () => {
    expect(() => resolveReconnectPolicy({ initialDelayMs: -1 })).toThrow(
      new TypeError("reconnect.initialDelayMs must be a number >= 0, got -1"),
    );
    expect(() => resolveReconnectPolicy({ maxDelayMs: Number.NaN })).toThrow(
      new TypeError("reconnect.maxDelayMs must be a number >= 0, got NaN"),
    );
  });
});

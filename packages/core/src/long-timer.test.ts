import { afterEach, describe, expect, it, vi } from "vitest";
import { setTimer } from "./long-timer.js";

afterEach(() => void vi.useRealTimers());

describe("setTimer", () => {
  it("fires a delay longer than setTimeout takes (30 days) at its time, not at once", () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setTimer(fired, 30 * 86_400_000);
    vi.advanceTimersByTime(29 * 86_400_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(86_400_000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it("is cancelled by the function it returns", () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setTimer(fired, 100)();
    vi.advanceTimersByTime(200);
    expect(fired).not.toHaveBeenCalled();
  });
});

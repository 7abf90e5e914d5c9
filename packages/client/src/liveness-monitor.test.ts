import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startLivenessMonitor } from "./liveness-monitor.js";

// Fake timers: these tests are about timer arithmetic, and must not wait real heartbeats.
describe("startLivenessMonitor", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("asks for a sign of life after each interval of silence and declares death at the timeout", () => {
    const log: string[] = [];
    startLivenessMonitor({
      intervalMs: 100,
      timeoutMs: 250,
      onIdle: () => log.push(`ping@${Date.now() - start}`),
      onDead: () => log.push(`dead@${Date.now() - start}`),
    });
    const start = Date.now();
    vi.advanceTimersByTime(1_000);
    expect(log).toEqual(["ping@100", "ping@200", "dead@250"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("counts silence from the last touch, without a timer per message", () => {
    const log: string[] = [];
    const monitor = startLivenessMonitor({
      intervalMs: 100,
      timeoutMs: 250,
      onIdle: () => log.push(`ping@${Date.now() - start}`),
      onDead: () => log.push(`dead@${Date.now() - start}`),
    });
    const start = Date.now();
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(50);
      monitor.touch();
    }
    expect(log).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(log).toEqual(["ping@1100", "ping@1200", "dead@1250"]);
  });

  it("without onIdle (SSE) only watches, and stop() clears its timer", () => {
    const onDead = vi.fn();
    const monitor = startLivenessMonitor({ intervalMs: 100, timeoutMs: 250, onDead });
    vi.advanceTimersByTime(200);
    monitor.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(onDead).not.toHaveBeenCalled();
  });
});

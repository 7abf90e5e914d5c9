import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { ContenderServer } from "./contenders/contender.js";
import type { BenchEvent } from "./payload.js";

export interface RateStep {
  /** Events per second to publish. */
  rate: number;
  warmupMs: number;
  windowMs: number;
  /**
   * Events published together in one turn of the event loop (one timer callback), `rate / burst`
   * turns a second. Without it, each tick publishes whatever is due.
   */
  burst?: number;
}

export interface ServerStepReport {
  /** The window's events: sequence numbers [w0, w1). */
  w0: number;
  w1: number;
  windowMs: number;
  /** Events the schedule called for in the window (rate × window). */
  scheduled: number;
  /** Server CPU in the window, µs (user + system, every thread of the process). */
  cpuUs: number;
  /** Event-loop delay in the window, ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  drops: number;
  connections: number;
  /**
   * Share of the window the main thread was ready to run but waited for a core (other processes on
   * this shared machine): the larger, the less the server's own figures can be trusted.
   */
  runQueueWait: number;
}

/** Nanoseconds the main thread has waited on a run queue (Linux), or NaN elsewhere. */
function runQueueWaitNs(): number {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[1]);
  } catch {
    return Number.NaN;
  }
}

/**
 * The publisher inside the server: on a timer, publishes as many events as the schedule calls
 * for since the step began (catching up after a late tick, at most 20 ms worth at once), so the
 * offered rate holds whatever the timer's granularity. The window after the warm-up is measured.
 */
export class Publisher {
  /** The next sequence number. */
  seq = 0;

  constructor(
    private readonly server: ContenderServer,
    private readonly make: (seq: number) => BenchEvent,
  ) {}

  run(step: RateStep): Promise<ServerStepReport> {
    const { rate, warmupMs, windowMs, burst } = step;
    const maxBurst = burst ?? Math.max(1, Math.ceil(rate * 0.02));
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const start = performance.now();
    const windowStart = start + warmupMs;
    const end = windowStart + windowMs;
    const first = this.seq;
    let inWindow = false;
    let w0 = 0;
    let cpu0 = process.cpuUsage();
    let drops0 = 0;
    let t0 = 0;
    let wait0 = 0;
    return new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        if (!inWindow && now >= windowStart) {
          inWindow = true;
          w0 = this.seq;
          t0 = now;
          cpu0 = process.cpuUsage();
          wait0 = runQueueWaitNs();
          drops0 = this.server.drops();
          delay.enable();
        }
        if (now >= end) {
          const cpu = process.cpuUsage(cpu0);
          delay.disable();
          const actualWindow = now - t0;
          resolve({
            w0,
            w1: this.seq,
            windowMs: actualWindow,
            scheduled: Math.floor((rate * actualWindow) / 1000),
            cpuUs: cpu.user + cpu.system,
            eventLoopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
            drops: this.server.drops() - drops0,
            connections: this.server.connections(),
            runQueueWait: (runQueueWaitNs() - wait0) / (actualWindow * 1e6),
          });
          return;
        }
        // In burst mode, exactly `burst` events per turn, once a whole burst is due.
        const perTurn = burst ?? 1;
        const due = first + Math.floor(((now - start) * rate) / 1000 / perTurn) * perTurn;
        const until = Math.min(due, this.seq + maxBurst);
        while (this.seq < until) this.server.publish(this.make(this.seq++));
        // Sleep until the next event (burst) is due (timers run at 1 ms granularity at best).
        const nextDueMs = ((this.seq - first + perTurn) * 1000) / rate - (performance.now() - start);
        setTimeout(tick, Math.max(0, Math.min(nextDueMs, end - performance.now())));
      };
      tick();
    });
  }
}

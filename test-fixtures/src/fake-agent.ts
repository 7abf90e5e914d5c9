import { EventEmitter } from "node:events";
import { eventNames, overlappingCalls, renewIds, type AgentEvent, type Trace, type TraceStep } from "./traces.js";

/** Options of {@link FakeAgent}. */
export interface FakeAgentOptions {
  /** The trace to replay. Default {@link overlappingCalls}. */
  trace?: Trace;
  /** Time multiplier: 2 replays twice as fast, 0.5 at half speed. Default 1. */
  speed?: number;
  /** Replay forever; every round after the first gets fresh session and tool-call ids. Default false. */
  loop?: boolean;
  /** Pause between two rounds of a loop, in trace ms (scaled by `speed`). Default 500. */
  loopGapMs?: number;
  /** Emit only these event names. Default: every name in the trace. */
  events?: readonly string[];
}

/**
 * A stand-in for an AI agent's EventEmitter: replays a {@link Trace} with its timing, emitting
 * `(name, payload)` for every step, as `agent.emit("bot.word", { callId, word, index })`.
 *
 * ```ts
 * const agent = new FakeAgent({ loop: true, speed: 2 });
 * hub.attach(agent, { events: agent.events });
 * agent.start();
 * ```
 */
export class FakeAgent extends EventEmitter {
  readonly trace: Trace;
  /** The event names this agent emits, in order of first appearance. */
  readonly events: readonly string[];
  readonly speed: number;
  readonly loop: boolean;
  readonly loopGapMs: number;

  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  /** Bumped by every start(), so a stale timer or listener loop cannot continue a newer run. */
  #run = 0;
  #round = 0;
  #index = 0;
  #steps: TraceStep[] = [];
  /** `Date.now()` at which the current round's `atMs` 0 falls. */
  #origin = 0;
  #waiters: Array<() => void> = [];

  constructor(options: FakeAgentOptions = {}) {
    super();
    this.trace = options.trace ?? overlappingCalls;
    this.speed = options.speed ?? 1;
    this.loop = options.loop ?? false;
    this.loopGapMs = options.loopGapMs ?? 500;
    if (!(this.speed > 0 && Number.isFinite(this.speed))) throw new RangeError("speed must be a positive number");
    if (!(this.loopGapMs >= 0)) throw new RangeError("loopGapMs must be >= 0");
    const all = eventNames(this.trace);
    this.events = options.events ? all.filter((name) => options.events?.includes(name)) : all;
  }

  /** Whether a replay is under way. */
  get running(): boolean {
    return this.#running;
  }

  /** The current round: 0 for the first pass through the trace, 1 for the second, … */
  get round(): number {
    return this.#round;
  }

  /** Starts replaying from the first step (round 0). Nothing is emitted synchronously. No-op if running. */
  start(): this {
    if (this.#running) return this;
    this.#running = true;
    this.#run++;
    this.#origin = Date.now();
    this.#beginRound(0);
    return this;
  }

  /** Stops the replay; no further event is emitted. */
  stop(): this {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#finish();
    return this;
  }

  /** Resolves when the replay ends: after the last step (without `loop`) or on `stop()`. */
  whenDone(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Emits one round of the trace synchronously, without timing, and returns the emitted events as
   * `{ event: name, ...payload }` objects, in order. Independent of `start()`/`stop()`.
   */
  replayInstantly(round = 0): AgentEvent[] {
    return this.#stepsFor(round).map((step) => {
      this.emit(step.name, { ...step.payload });
      return { event: step.name, ...step.payload };
    });
  }

  #stepsFor(round: number): TraceStep[] {
    return renewIds(this.trace, round).steps.filter((step) => this.events.includes(step.name));
  }

  #beginRound(round: number): void {
    this.#round = round;
    this.#index = 0;
    this.#steps = this.#stepsFor(round);
    if (this.#steps.length === 0) return this.#finish();
    this.#scheduleNext();
  }

  #scheduleNext(): void {
    const step = this.#steps[this.#index];
    if (!step) return this.#endRound();
    const delay = Math.max(0, this.#origin + step.atMs / this.speed - Date.now());
    this.#timer = setTimeout(() => this.#tick(step.atMs), delay);
  }

  /** Emits every step due at `atMs` (steps sharing a time go out together, in order). */
  #tick(atMs: number): void {
    this.#timer = undefined;
    const run = this.#run;
    for (let step = this.#steps[this.#index]; step && step.atMs <= atMs; step = this.#steps[this.#index]) {
      this.#index++;
      this.emit(step.name, { ...step.payload });
      if (!this.#running || this.#run !== run) return; // a listener called stop() (and maybe start())
    }
    this.#scheduleNext();
  }

  #endRound(): void {
    if (!this.loop) return this.#finish();
    const length = this.trace.steps.at(-1)?.atMs ?? 0;
    this.#origin += (length + this.loopGapMs) / this.speed;
    this.#beginRound(this.#round + 1);
  }

  #finish(): void {
    this.#running = false;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}

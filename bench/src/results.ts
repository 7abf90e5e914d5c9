import type { PayloadSize } from "./payload.js";
import type { PublishPathResult } from "./publish-path.js";
import type { SendPathCase } from "./send-path.js";
import type { Transport } from "./contenders/contender.js";

/** One rate step as the orchestrator judged it. */
export interface StepResult {
  offeredEventsPerSec: number;
  offeredDeliveriesPerSec: number;
  publishedEventsPerSec: number;
  /** Deliveries counted at the subscribers for the window's events, per second of window. */
  deliveriesPerSec: number;
  delivered: number;
  expected: number;
  /**
   * Every event of the window reached every subscriber (within 1.5 s of its end), the publisher
   * kept 97% of its schedule, no subscriber was dropped, and median latency stayed under 1 s.
   */
  sustained: boolean;
  latencyUs: { p50: number; p99: number; p999: number; max: number; samples: number };
  /** Share of one core the server / load generator used. */
  serverCpu: number;
  clientCpu: number;
  /** The load generator used ≥ 90% of its core: the figure may be the client's limit, not the server's. */
  clientBound: boolean;
  serverCpuUsPerDelivery: number;
  clientCpuUsPerDelivery: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Deliveries per second of server CPU: what the server would do with its core to itself. */
  deliveriesPerCpuSecond: number;
  /** Share of the window the server waited for a core taken by other processes. */
  serverRunQueueWait: number;
  drops: number;
  dupes: number;
  closedByServer: number;
}

export interface ContenderRun {
  transport: Transport;
  subscribers: number;
  payload: PayloadSize;
  rep: number;
  contender: string;
  limit: boolean;
  describe: string;
  connectMs?: number;
  /** Server memory with every subscriber connected and idle, after GC: growth per connection, bytes. */
  idle?: { heapPerConnection: number; rssPerConnection: number; heapUsed: number; rss: number };
  /** The highest sustained step. */
  max?: StepResult;
  /** Every step of the search, in order. */
  search?: StepResult[];
  /** The step at half the limit's max (the same offered load for every contender of the point). */
  atHalfLimit?: StepResult;
  error?: string;
}

export interface BenchResults {
  profile: string;
  startedAt: string;
  durationS: number;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    node: string;
    platform: string;
    pinned: boolean;
    loadAverageAtStart: number[];
    commit: string;
    versions: Record<string, string>;
  };
  settings: unknown;
  publishPath?: PublishPathResult;
  sendPath?: SendPathCase[];
  runs: ContenderRun[];
}

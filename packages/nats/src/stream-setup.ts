import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { HistoryLimits } from "@eventwire/core";

export interface StreamSpec {
  readonly stream: string;
  readonly subject: string;
  readonly history: HistoryLimits;
  readonly storage: "file" | "memory";
  readonly replicas: number;
}

/** The longest duplicate window JetStream uses by default (2 minutes, in nanoseconds). */
const DEFAULT_DUPLICATE_WINDOW = nanos(120_000);

/**
 * How long a stream that was there must stay missing before the bus creates it again. A server
 * (nats-server 2.9 at least) stops answering for a deleted stream before it has removed the
 * stream's files; a stream of the same name created in between gets its files removed under it,
 * so it acknowledges publishes it can no longer read back (consumers stall, reads come back
 * empty). The bus notices a deletion within milliseconds (its consumer is deleted first), so
 * without this wait it re-created the stream right inside that window.
 */
export const RECREATE_SETTLE_MS = 1_000;

export interface EnsureStreamOptions {
  /** When the stream is missing, wait this long and look again before creating it. */
  readonly settleMs?: number;
  /** Checked before creating the stream: false (the bus closed meanwhile) creates nothing. */
  readonly active?: () => boolean;
}

/**
 * Makes sure the stream exists, listens on the subject and keeps at least the hub's history:
 * creates it, or raises its limits (never lowers them: another process may want more).
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, options: EnsureStreamOptions = {}): Promise<StreamInfo> {
  let settled = !(options.settleMs !== undefined && options.settleMs > 0);
  const maxMsgs = Number.isFinite(spec.history.maxEvents) ? Math.max(1, Math.floor(spec.history.maxEvents)) : -1;
  const maxAge = Number.isFinite(spec.history.maxAgeMs) ? nanos(Math.max(1, Math.floor(spec.history.maxAgeMs))) : 0;
  for (let attempt = 0; ; attempt++) {
    let info: StreamInfo | undefined;
    try {
      info = await jsm.streams.info(spec.stream);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
    if (info) {
      const config = info.config;
      const update: Partial<StreamConfig> = {};
      const subjects = config.subjects ?? [];
      if (!subjects.includes(spec.subject)) update.subjects = [...subjects, spec.subject];
      if (config.max_msgs !== -1 && (maxMsgs === -1 || config.max_msgs < maxMsgs)) update.max_msgs = maxMsgs;
      if (config.max_age !== 0 && (maxAge === 0 || config.max_age < maxAge)) update.max_age = maxAge;
      if (Object.keys(update).length === 0) return info;
      return jsm.streams.update(spec.stream, { ...config, ...update });
    }
    if (!settled) {
      // Missing: it may be in the middle of being deleted. Look again once that is surely over.
      settled = true;
      await new Promise((resolve) => setTimeout(resolve, options.settleMs));
      attempt--;
      continue;
    }
    if (options.active && !options.active()) throw new Error("the bus was closed");
    try {
      return await jsm.streams.add({
        name: spec.stream,
        subjects: [spec.subject],
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        storage: spec.storage === "memory" ? StorageType.Memory : StorageType.File,
        num_replicas: spec.replicas,
        max_msgs: maxMsgs,
        max_age: maxAge,
        // JetStream refuses a duplicate window longer than max_age.
        duplicate_window: maxAge === 0 ? DEFAULT_DUPLICATE_WINDOW : Math.min(maxAge, DEFAULT_DUPLICATE_WINDOW),
        allow_direct: true,
      });
    } catch (error) {
      // Another process created it between our info and add: read it again.
      if (attempt < 3 && /already in use/i.test((error as Error).message)) continue;
      throw error;
    }
  }
}

export function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

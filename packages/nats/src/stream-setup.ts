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
 * Makes sure the stream exists, listens on the subject and keeps at least the hub's history:
 * creates it, or raises its limits (never lowers them: another process may want more).
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<StreamInfo> {
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

import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";

export interface HistoryReadOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subject: string;
  /** The first sequence wanted. */
  readonly fromSeq: number;
  /** The stream's last sequence when the read began: nothing after it is waited for. */
  readonly lastSeq: number;
  readonly limit: number;
  readonly timeoutMs: number;
}

/**
 * Up to `limit` stored messages from `fromSeq` on, oldest first, through one short-lived
 * consumer (one round trip to create it, one pull for the whole batch), deleted afterwards.
 */
export async function readMessages(options: HistoryReadOptions): Promise<JsMsg[]> {
  const { js, jsm, stream, subject, fromSeq, lastSeq, limit, timeoutMs } = options;
  const wanted = Math.min(limit, lastSeq - fromSeq + 1);
  if (wanted <= 0) return [];
  const info = await jsm.consumers.add(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: fromSeq,
    ack_policy: AckPolicy.None,
    filter_subject: subject,
    mem_storage: true,
    num_replicas: 1,
    inactive_threshold: nanos(Math.max(timeoutMs * 2, 10_000)),
  });
  const messages: JsMsg[] = [];
  try {
    const batch = await js.consumers.getConsumerFromInfo(info).fetch({
      max_messages: wanted,
      expires: Math.max(1_000, timeoutMs),
    });
    for await (const message of batch) {
      messages.push(message);
      // Done at the read's last sequence, at `limit`, or when the consumer has nothing more.
      if (message.seq >= lastSeq || messages.length >= wanted || message.info.pending === 0) {
        batch.stop();
        break;
      }
    }
  } finally {
    jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
  return messages;
}

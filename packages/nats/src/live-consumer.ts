import { DeliverPolicy, type ConsumerMessages, type ConsumerNotification, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";

export interface LiveConsumerOptions {
  readonly js: JetStreamClient;
  readonly stream: string;
  readonly subject: string;
  /** The first sequence to deliver (the stream's last sequence + 1 when the bus opened). */
  readonly startSeq: number;
  readonly onMessage: (message: JsMsg) => void;
  /** The consumer is in trouble: deleted, not found, its stream gone, or heartbeats missed. */
  readonly onNotification: (notification: ConsumerNotification) => void;
}

/** Notifications that mean the consumer (or its stream) is gone or silent. */
const TROUBLE = new Set<ConsumerNotification["type"]>([
  "heartbeats_missed",
  "consumer_deleted",
  "consumer_not_found",
  "stream_not_found",
]);

/**
 * The process's one live reader: an ordered consumer from `startSeq`. The client library
 * recreates it after a missed message; after a reconnect, or when it reports trouble, the bus
 * replaces it with one that starts right after the last message delivered.
 */
export class LiveConsumer {
  #options: LiveConsumerOptions;
  #messages: ConsumerMessages | undefined;
  #stopped = false;

  constructor(options: LiveConsumerOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { js, stream, subject, startSeq, onMessage, onNotification } = this.#options;
    const consumer = await js.consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, startSeq),
      filter_subjects: subject,
    });
    if (this.#stopped) return;
    const messages = await consumer.consume({
      max_messages: 256,
      expires: 10_000,
      callback: (message) => {
        if (!this.#stopped) onMessage(message);
      },
    });
    this.#messages = messages;
    if (this.#stopped) {
      await messages.close().catch(() => undefined);
      return;
    }
    void (async () => {
      for await (const notification of messages.status()) {
        if (this.#stopped) break;
        if (TROUBLE.has(notification.type)) onNotification(notification);
      }
    })().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const messages = this.#messages;
    this.#messages = undefined;
    if (messages) await messages.close().catch(() => undefined);
  }
}

import { Redis, type RedisOptions } from "ioredis";
import type { ResolvedRedisBusOptions } from "./redis-bus-options.js";

/**
 * The bus's control messages (a `hub.revoke`, docs/protocol.md#sessions-scopes-and-authorization)
 * on Redis Pub/Sub: a PUBLISH on `<stream>:control` reaches every process subscribed to it, the
 * publisher's own included, and is kept nowhere, so it is never replayed. A connection in
 * subscriber mode serves nothing else, so the channel has one of its own; ioredis subscribes it
 * again after every reconnect. Pub/Sub is at most once: a process cut off from Redis when a
 * revocation is published does not get it.
 */
export class ControlChannel {
  /** The Pub/Sub channel: the stream's key and `:control` (channels and keys never collide). */
  readonly channel: string;
  /** The subscriber connection (for the bus to watch its outages). */
  readonly subscriber: Redis;

  constructor(options: ResolvedRedisBusOptions, onMessage: (message: string) => void) {
    this.channel = `${options.stream}:control`;
    // A subscription waits out outages: SUBSCRIBE is queued until the connection is up, and
    // resent after a reconnect. No socket timeout: a subscriber is quiet between messages.
    const settings: RedisOptions = {
      lazyConnect: true,
      enableAutoPipelining: false,
      enableOfflineQueue: true,
      autoResubscribe: true,
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
      socketTimeout: undefined,
    };
    if (options.client) {
      const name = options.client.options.connectionName ?? "eventwire";
      this.subscriber = options.client.duplicate({ ...settings, connectionName: `${name}-control` });
    } else {
      const base: RedisOptions = { connectionName: "eventwire", ...options.redisOptions };
      this.subscriber = new Redis(options.url, { ...base, ...settings, connectionName: `${base.connectionName ?? "eventwire"}-control` });
    }
    this.subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.channel) onMessage(message);
    });
  }

  /** Resolves once Redis has confirmed the subscription: every message published after it arrives. */
  async subscribe(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  /** Publishes `message` on the channel through `client` (the bus's publishing connection). */
  async publish(client: Redis, message: string): Promise<void> {
    await client.publish(this.channel, message);
  }

  close(): void {
    this.subscriber.disconnect();
  }
}

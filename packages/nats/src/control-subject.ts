import type { NatsConnection, Subscription } from "@nats-io/transport-node";

/**
 * The bus's control messages (a `hub.revoke`, docs/protocol.md#sessions-scopes-and-authorization)
 * on core NATS: a publish on `<subject>.control` reaches every process subscribed to it, the
 * publisher's own included. The bus's stream listens on `<subject>` only, so JetStream keeps
 * none of them and none is ever replayed (a stream of your own that listens on `<subject>.>` or
 * wider would store them). The client subscribes again after every reconnect. Core NATS is at
 * most once: a process cut off from the server when a revocation is published does not get it.
 */
export class ControlSubject {
  readonly subject: string;
  #subscription: Subscription | undefined;

  constructor(eventSubject: string) {
    this.subject = `${eventSubject}.control`;
  }

  /** Subscribes, and resolves once the server has the subscription: every message published after it arrives. */
  async subscribe(nc: NatsConnection, onMessage: (message: string) => void): Promise<void> {
    this.#subscription = nc.subscribe(this.subject, {
      callback: (error, message) => {
        if (!error) onMessage(message.string());
      },
    });
    await nc.flush();
  }

  /** Publishes `message`; resolves once the server has taken it (a flush round trip). */
  async publish(nc: NatsConnection, message: string): Promise<void> {
    nc.publish(this.subject, message);
    await nc.flush();
  }

  unsubscribe(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }
}

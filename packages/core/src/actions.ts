/** The connection an action came from (docs/protocol.md#events-and-publishing). */
export interface ActionContext {
  readonly connectionId: string;
  /** The session the connection asked for, if any. */
  readonly sessionId: string | undefined;
  /** What `authorize` returned beside `sessions`. */
  readonly principal: unknown;
  /** Sends an event to this connection only: outside the stream, no id, not in history. */
  send(event: { event: string; [field: string]: unknown }): void;
  /** Runs `listener` once when the connection closes (or now, if it has). */
  onClose(listener: () => void): void;
}

/** A client message: `{ action, ref?, ...fields }`. */
export interface ActionMessage {
  action: string;
  ref?: string | number;
  [field: string]: unknown;
}

export type ActionHandler = (message: ActionMessage, context: ActionContext) => unknown;

/** An action's failure with a code of its own, sent to the client instead of `action_failed`. */
export class ActionError extends Error {
  override name = "ActionError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A token bucket: `perSecond` actions a second, bursts up to the same number (docs/protocol.md#load-and-bad-input
 * `actionsPerSecond`).
 */
export class RateLimiter {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = perSecond;
    this.#updatedAt = now();
  }

  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.perSecond, this.#tokens + ((now - this.#updatedAt) / 1000) * this.perSecond);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

import { EventStreamError } from "./event-stream-error.js";
import type { Ref } from "./event-types.js";
import type { StreamSink, StreamSource, StreamStatus, WireEvent } from "./stream-source.js";

/**
 * `shareAcrossTabs`: one connection per origin and stream for every tab of a browser, which allows
 * only six HTTP/1.1 connections per host. The tabs of a stream (same transport, URL and filters)
 * queue for one Web Lock; the holder (the leader) runs the connection and posts its events and
 * status on a BroadcastChannel; the others (followers) deliver what it posts and forward their
 * actions to it. Closing the leader's stream, or its tab, releases the lock: the next tab takes
 * over and resumes from its own last id, which it kept from the leader's events, so nothing is
 * lost or repeated across the handover.
 */

interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void> | undefined): Promise<unknown>;
}

interface SerializedError {
  code: string;
  message: string;
  status?: number | undefined;
  closeCode?: number | undefined;
}

type TabMessage =
  | { type: "event"; event: WireEvent }
  | { type: "status"; status: StreamStatus; error?: SerializedError | undefined }
  | { type: "lost"; refs: Ref[]; error: SerializedError }
  | { type: "send"; text: string; ref: Ref }
  | { type: "hello" }
  | { type: "leader" };

function lockManager(): LockManagerLike | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return typeof locks?.request === "function" ? locks : undefined;
}

/** Whether this runtime has Web Locks and BroadcastChannel; without them a stream connects on its own. */
export function canShareAcrossTabs(): boolean {
  return typeof BroadcastChannel === "function" && lockManager() !== undefined;
}

export class TabShare implements StreamSource {
  /** Distinguishes this tab's action refs from other tabs'. */
  readonly tabId = Math.random().toString(36).slice(2, 10);
  private channel: BroadcastChannel | undefined;
  private loop: StreamSource | undefined;
  private releaseLock: (() => void) | undefined;
  private readonly lockAbort = new AbortController();
  /** Refs this tab forwarded to the leader that have not been answered. */
  private readonly forwarded = new Set<Ref>();
  private lastStatus: { status: StreamStatus; error?: EventStreamError | undefined } = { status: "connecting" };
  private closed = false;

  constructor(
    private readonly key: string,
    private readonly sink: StreamSink,
    private readonly createLoop: (sink: StreamSink) => StreamSource,
  ) {}

  get isLeader(): boolean {
    return this.loop !== undefined;
  }

  start(): void {
    this.channel = new BroadcastChannel(this.key);
    this.channel.onmessage = (message: MessageEvent<TabMessage>) => this.receive(message.data);
    this.sink.setStatus("connecting");
    lockManager()!
      .request(this.key, { signal: this.lockAbort.signal }, () => {
        if (this.closed) return undefined;
        return new Promise<void>((release) => {
          this.releaseLock = release;
          this.lead();
        });
      })
      // Rejects with an AbortError when the stream closes while still waiting for the lock.
      .catch(() => {});
    this.post({ type: "hello" });
  }

  send(text: string, ref: Ref): void {
    if (this.loop !== undefined) {
      this.loop.send(text, ref);
    } else {
      this.forwarded.add(ref);
      this.post({ type: "send", text, ref });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lockAbort.abort();
    this.loop?.close();
    this.loop = undefined;
    this.releaseLock?.();
    this.channel?.close();
    this.channel = undefined;
  }

  private lead(): void {
    this.loseForwarded("the tab holding the shared connection went away before the server answered");
    this.post({ type: "leader" });
    const sink = this.sink;
    this.loop = this.createLoop({
      resumeId: () => sink.resumeId(),
      deliver: (event) => {
        sink.deliver(event);
        this.post({ type: "event", event });
      },
      setStatus: (status, error) => {
        this.lastStatus = { status, error };
        sink.setStatus(status, error);
        this.post({ type: "status", status, error: serialize(error) });
      },
      lost: (refs, error) => {
        sink.lost(refs, error);
        this.post({ type: "lost", refs: [...refs], error: serialize(error)! });
      },
    });
    this.loop.start();
  }

  private receive(message: TabMessage): void {
    if (this.closed) return;
    if (this.loop !== undefined) {
      // Leader: serve the followers.
      if (message.type === "send") this.loop.send(message.text, message.ref);
      else if (message.type === "hello") {
        this.post({ type: "status", status: this.lastStatus.status, error: serialize(this.lastStatus.error) });
      }
      return;
    }
    switch (message.type) {
      case "event":
        if (message.event.ref !== undefined) this.forwarded.delete(message.event.ref);
        this.sink.deliver(message.event);
        break;
      case "status":
        this.sink.setStatus(message.status, deserialize(message.error));
        break;
      case "lost":
        for (const ref of message.refs) this.forwarded.delete(ref);
        this.sink.lost(message.refs, deserialize(message.error)!);
        break;
      case "leader":
        this.loseForwarded("the tab holding the shared connection changed before the server answered");
        break;
    }
  }

  private loseForwarded(why: string): void {
    if (this.forwarded.size === 0) return;
    const refs = [...this.forwarded];
    this.forwarded.clear();
    this.sink.lost(refs, new EventStreamError("connection_lost", why));
  }

  private post(message: TabMessage): void {
    this.channel?.postMessage(message);
  }
}

function serialize(error: EventStreamError | undefined): SerializedError | undefined {
  return error === undefined
    ? undefined
    : { code: error.code, message: error.message, status: error.status, closeCode: error.closeCode };
}

function deserialize(error: SerializedError | undefined): EventStreamError | undefined {
  if (error === undefined) return undefined;
  const details: { status?: number; closeCode?: number } = {};
  if (error.status !== undefined) details.status = error.status;
  if (error.closeCode !== undefined) details.closeCode = error.closeCode;
  return new EventStreamError(error.code, error.message, details);
}

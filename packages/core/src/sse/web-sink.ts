import { CoalescingWriter } from "../write-coalescer.js";
import type { SseSink } from "./sse-sink.js";

/**
 * An SSE sink on a Web `ReadableStream` (Hono, Deno, Bun, Workers). Chunks wait in the sink's own
 * queue until the runtime reads them, so what is unsent can be counted, and dropped: a slow
 * reader's stream then ends cleanly after the last whole event it took, rather than erroring
 * (which @hono/node-server, say, reports as a server error). What a turn writes becomes one chunk.
 */
export class WebSseSink extends CoalescingWriter implements SseSink {
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  /** The reader asked for a chunk while the queue was empty: the next write goes straight to it. */
  #wanted = false;
  #closed = false;
  #closeListeners: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];

  constructor() {
    super();
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => this.#pull(),
        cancel: () => this.#markClosed(),
      },
      { highWaterMark: 0 },
    );
  }

  write(chunk: Buffer): void {
    if (!this.#closed) this.queue(chunk);
  }

  protected writeOut(chunks: Buffer | readonly Buffer[], bytes: number): void {
    if (this.#closed) return;
    this.#queue.push(Buffer.isBuffer(chunks) ? chunks : Buffer.concat(chunks, bytes));
    this.#queuedBytes += bytes;
    if (this.#wanted) this.#pull();
  }

  get bufferedBytes(): number {
    return this.#queuedBytes + this.pendingBytes;
  }

  drained(): Promise<void> {
    this.flush();
    if (this.#closed || this.#queuedBytes === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  end(): void {
    if (this.#closed) return;
    this.flush();
    // What is queued still reaches the reader: the stream's own queue takes it, then closes.
    for (const chunk of this.#queue) this.#controller.enqueue(chunk);
    this.#finish();
  }

  destroy(): void {
    if (this.#closed) return;
    this.discard();
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#finish();
  }

  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#closeListeners.push(listener);
  }

  #pull(): void {
    const chunk = this.#queue.shift();
    if (chunk === undefined) {
      this.#wanted = true;
      return;
    }
    this.#wanted = false;
    this.#queuedBytes -= chunk.length;
    this.#controller.enqueue(chunk);
    if (this.#queue.length === 0) for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  /** Closes the stream after what it already holds. */
  #finish(): void {
    if (this.#closed) return;
    this.#controller.close();
    this.#markClosed();
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.discard();
    this.#queue = [];
    this.#queuedBytes = 0;
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
    for (const listener of this.#closeListeners.splice(0)) listener();
  }
}

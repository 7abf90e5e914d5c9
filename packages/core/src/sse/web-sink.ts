import type { SseSink } from "./sse-sink.js";

/**
 * An SSE sink on a Web `ReadableStream` (Hono, Deno, Bun, Workers). The stream's queue is the
 * buffer: its size in bytes is what the runtime has not yet sent.
 */
export class WebSseSink implements SseSink {
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #closeListeners: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  readonly #highWaterMark: number;

  constructor(highWaterMark = 64 * 1024) {
    this.#highWaterMark = highWaterMark;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => this.#wakeDrainWaiters(),
        cancel: () => this.#markClosed(),
      },
      new ByteLengthQueuingStrategy({ highWaterMark }),
    );
  }

  write(chunk: Buffer): void {
    if (!this.#closed) this.#controller.enqueue(chunk);
  }

  get bufferedBytes(): number {
    if (this.#closed) return 0;
    return this.#highWaterMark - (this.#controller.desiredSize ?? this.#highWaterMark);
  }

  drained(): Promise<void> {
    if (this.#closed || this.bufferedBytes <= 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  end(): void {
    if (this.#closed) return;
    this.#controller.close();
    this.#markClosed();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#controller.error(new Error("eventwire: stream closed"));
    this.#markClosed();
  }

  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#closeListeners.push(listener);
  }

  #wakeDrainWaiters(): void {
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeDrainWaiters();
    for (const listener of this.#closeListeners.splice(0)) listener();
  }
}

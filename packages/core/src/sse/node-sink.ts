import type { ServerResponse } from "node:http";
import { CoalescingWriter } from "../write-coalescer.js";
import type { SseSink } from "./sse-sink.js";

/**
 * An SSE sink on a Node `ServerResponse` whose headers are already sent. What a turn writes goes
 * out as one `res.write`: one HTTP chunk, one write to the socket.
 */
export class NodeSseSink extends CoalescingWriter implements SseSink {
  #closed = false;

  constructor(private readonly response: ServerResponse) {
    super();
    response.once("close", () => (this.#closed = true));
    response.socket?.setNoDelay(true);
  }

  write(chunk: Buffer): void {
    if (!this.#closed) this.queue(chunk);
  }

  protected writeOut(chunks: Buffer | readonly Buffer[], bytes: number): void {
    if (this.#closed || this.response.writableEnded) return;
    this.response.write(Buffer.isBuffer(chunks) ? chunks : Buffer.concat(chunks, bytes));
    // node:http corks the socket until the next tick; the turn is already one chunk, so it goes to
    // the socket now, and `writableLength` says at once what the peer has not taken.
    this.response.socket?.uncork();
  }

  get bufferedBytes(): number {
    return this.response.writableLength + this.pendingBytes;
  }

  drained(): Promise<void> {
    this.flush();
    // 'drain' only follows a write that hit the socket's high-water mark.
    if (this.#closed || !this.response.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.response.off("drain", done);
        this.response.off("close", done);
        resolve();
      };
      this.response.on("drain", done);
      this.response.on("close", done);
    });
  }

  end(): void {
    this.flush();
    this.response.end();
  }

  destroy(): void {
    this.discard();
    this.response.destroy();
  }

  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.response.once("close", listener);
  }
}

import type { ServerResponse } from "node:http";
import type { SseSink } from "./sse-sink.js";

/** An SSE sink on a Node `ServerResponse` whose headers are already sent. */
export class NodeSseSink implements SseSink {
  #closed = false;

  constructor(private readonly response: ServerResponse) {
    response.once("close", () => (this.#closed = true));
    response.socket?.setNoDelay(true);
  }

  write(chunk: Buffer): void {
    if (!this.#closed) this.response.write(chunk);
  }

  get bufferedBytes(): number {
    return this.response.writableLength;
  }

  drained(): Promise<void> {
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
    this.response.end();
  }

  destroy(): void {
    this.response.destroy();
  }

  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.response.once("close", listener);
  }
}

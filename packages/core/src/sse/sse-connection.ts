import { Connection, type Admission, type ConnectionHost } from "../connection.js";
import type { Frame } from "../frame.js";
import { encodeSseComment, encodeSseEvent, encodeSseRetry } from "./encode.js";
import type { SseSink } from "./sse-sink.js";

const keepalive = Buffer.from(encodeSseComment("keepalive"));

/** One SSE stream: events as `id:`/`data:` lines, keepalive comments, ended when it falls behind. */
export class SseConnection extends Connection {
  readonly transport = "sse";

  constructor(
    host: ConnectionHost,
    admission: Admission,
    private readonly sink: SseSink,
  ) {
    super(host, admission);
    sink.onClose(() => this.closed_());
    // A jittered reconnect hint spreads clients out when a server goes away (docs/protocol.md#wire-protocol).
    const { retryMs } = host.options;
    sink.write(Buffer.from(encodeSseRetry(retryMs + Math.random() * retryMs)));
  }

  get bufferedBytes(): number {
    return this.sink.bufferedBytes;
  }

  drained(): Promise<void> {
    return this.sink.drained();
  }

  flush(): void {
    this.sink.flush();
  }

  protected writeFrame(frame: Frame): void {
    this.sink.write(frame.sse);
  }

  sendControl(json: string): void {
    if (!this.closing) this.sink.write(Buffer.from(encodeSseEvent({ data: json })));
  }

  heartbeat(): void {
    if (!this.closing) this.sink.write(keepalive);
  }

  protected end(reason: "slow" | "shutdown"): void {
    // A slow reader's buffer is dropped at once so its memory is bounded; it resumes from the last
    // whole event it read. At shutdown, what is buffered is still flushed.
    if (reason === "slow") this.sink.destroy();
    else this.sink.end();
  }
}

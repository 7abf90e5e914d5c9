import { Connection, type Admission, type CloseReason, type ConnectionHost } from "../connection.js";
import type { Frame } from "../frame.js";
import { encodeSseComment, encodeSseEvent, encodeSseRetry, reconnectComment, sseEventName } from "./encode.js";
import type { SseSink } from "./sse-sink.js";

const keepalive = Buffer.from(encodeSseComment("keepalive"));
const reconnectNow = Buffer.from(encodeSseComment(reconnectComment));

/** One SSE stream: events as `id:`/`data:` lines (and `event:` lines if asked), keepalive comments, ended when it falls behind. */
export class SseConnection extends Connection {
  readonly transport = "sse";
  readonly #eventLines: boolean;

  constructor(
    host: ConnectionHost,
    admission: Admission,
    private readonly sink: SseSink,
  ) {
    super(host, admission);
    this.#eventLines = admission.eventLines;
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
    this.sink.write(this.#eventLines ? frame.sseNamed : frame.sse);
  }

  sendControl(json: string): void {
    if (this.closing) return;
    // Control events are rare (gap, errors): naming them reads the name back from their JSON.
    const event = this.#eventLines ? sseEventName(String((JSON.parse(json) as { event: unknown }).event)) : undefined;
    this.sink.write(Buffer.from(encodeSseEvent({ data: json, event })));
  }

  heartbeat(): void {
    if (!this.closing) this.sink.write(keepalive);
  }

  protected end(reason: CloseReason): void {
    // A slow reader's buffer is dropped at once so its memory is bounded; it resumes from the last
    // whole event it read. Otherwise (shutdown, rotate, expired, revoked) what is buffered is still flushed. A rotated or expired
    // stream says so last, so that a client reconnects at once (with fresh credentials) instead of
    // backing off.
    if (reason === "slow") return this.sink.destroy();
    if (reason === "rotate" || reason === "expired") this.sink.write(reconnectNow);
    this.sink.end();
  }
}

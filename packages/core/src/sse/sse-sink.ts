/** Where an SSE connection writes: a Node response or a Web stream, behind one small interface. */
export interface SseSink {
  /** Queues a chunk; what a turn of the event loop writes goes out together when it ends. */
  write(chunk: Buffer): void;
  /** Writes what is queued for the end of the turn now. */
  flush(): void;
  /** Bytes written but not yet taken by the peer, those queued for the end of the turn included. */
  readonly bufferedBytes: number;
  /** Resolves once the buffer has drained, or the stream has closed. */
  drained(): Promise<void>;
  /** Ends the stream after what is buffered. */
  end(): void;
  /** Drops the stream now, buffered bytes included. */
  destroy(): void;
  /** Called once when the stream is gone, whichever side ended it. */
  onClose(listener: () => void): void;
}

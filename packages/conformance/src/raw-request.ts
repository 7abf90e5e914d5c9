import net from "node:net";

export interface RawRequestOptions {
  /** Drop the connection after this long (ms), whatever has arrived: a client that leaves. */
  leaveAfterMs?: number;
  /** Give up waiting for an answer after this long (ms). Default 5,000. */
  timeoutMs?: number;
  /**
   * Keep the connection open after the status line, until this settles: a client that stays. The
   * returned promise still resolves at the status line.
   */
  holdUntil?: Promise<unknown>;
}

/**
 * Writes `head` (a request line and headers, latin1) to 127.0.0.1:`port` byte for byte, as no HTTP
 * client library would send it, and resolves to the status of the answer (0: none, the connection
 * closed or was left first). The socket is closed once the status line has arrived (an admitted
 * stream, 200 or 101, is left at once), or held open until `holdUntil` settles.
 */
export function rawRequest(port: number, head: string, options: RawRequestOptions = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const timers = [setTimeout(() => socket.destroy(), options.timeoutMs ?? 5_000)];
    if (options.leaveAfterMs !== undefined) timers.push(setTimeout(() => socket.destroy(), options.leaveAfterMs));
    socket.setEncoding("latin1");
    const status = () => Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (!text.includes("\r\n")) return;
      if (options.holdUntil === undefined) return void socket.destroy();
      for (const timer of timers) clearTimeout(timer);
      resolve(status());
      void options.holdUntil.finally(() => socket.destroy());
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      for (const timer of timers) clearTimeout(timer);
      resolve(status());
    });
    socket.write(head, "latin1");
  });
}

/** An answer read off a raw socket by {@link rawAnswer}. */
export interface RawAnswer {
  /** The status code; 0 when the connection closed (or the deadline passed) before a status line. */
  status: number;
  /** Header names in lower case; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  /** The body so far, de-chunked and decoded as UTF-8. */
  body: string;
}

/**
 * Writes `head` (latin1, byte for byte) to 127.0.0.1:`port` and reads the answer: to its end for a
 * body of known length or a chunked one, at the headers for a 101, and for an event stream until
 * `streamRead(body)` holds (default: its first block, the `retry:` line). Resolves with what has
 * arrived when the connection closes or `timeoutMs` (default 5,000) passes; closes the socket.
 */
export function rawAnswer(port: number, head: string, options: { timeoutMs?: number; streamRead?: (body: string) => boolean } = {}): Promise<RawAnswer> {
  const streamRead = options.streamRead ?? ((body: string) => body.includes("\n\n"));
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let bytes = Buffer.alloc(0);
    let answer: RawAnswer = { status: 0, headers: {}, body: "" };
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 5_000);
    socket.on("error", () => {});
    socket.on("close", finish);
    socket.on("data", (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const end = bytes.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [statusLine = "", ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      const { body, complete } = readBody(bytes.subarray(end + 4), headers);
      answer = { status, headers, body };
      if (status === 101) return finish();
      if (/^text\/event-stream/.test(headers["content-type"] ?? "")) {
        if (streamRead(body)) finish();
      } else if (complete) finish();
    });
    socket.write(head, "latin1");
  });
}

/** The body in `bytes` as far as it has arrived, and whether it is all there (by length or the last chunk). */
function readBody(bytes: Buffer, headers: Record<string, string>): { body: string; complete: boolean } {
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = bytes.indexOf("\r\n", at);
      if (lineEnd < 0) return { body: Buffer.concat(parts).toString("utf8"), complete: false };
      const size = Number.parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
      if (size === 0) return { body: Buffer.concat(parts).toString("utf8"), complete: true };
      parts.push(bytes.subarray(lineEnd + 2, Math.min(bytes.length, lineEnd + 2 + size)));
      if (lineEnd + 2 + size + 2 > bytes.length) return { body: Buffer.concat(parts).toString("utf8"), complete: false };
      at = lineEnd + 2 + size + 2;
    }
  }
  const length = headers["content-length"];
  return { body: bytes.toString("utf8"), complete: length !== undefined && bytes.length >= Number(length) };
}

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

import net from "node:net";

export interface RawRequestOptions {
  /** Drop the connection after this long (ms), whatever has arrived: a client that leaves. */
  leaveAfterMs?: number;
  /** Give up waiting for an answer after this long (ms). Default 5,000. */
  timeoutMs?: number;
}

/**
 * Writes `head` (a request line and headers, latin1) to 127.0.0.1:`port` byte for byte, as no HTTP
 * client library would send it, and resolves to the status of the answer (0: none, the connection
 * closed or was left first). The socket is closed once the status line has arrived: an admitted
 * stream (200, 101) is left at once.
 */
export function rawRequest(port: number, head: string, options: RawRequestOptions = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const timers = [setTimeout(() => socket.destroy(), options.timeoutMs ?? 5_000)];
    if (options.leaveAfterMs !== undefined) timers.push(setTimeout(() => socket.destroy(), options.leaveAfterMs));
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\r\n")) socket.destroy();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      for (const timer of timers) clearTimeout(timer);
      resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0));
    });
    socket.write(head, "latin1");
  });
}

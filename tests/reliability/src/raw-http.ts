import net from "node:net";

export interface RawResponse {
  status: number;
  /** Header names lower-cased; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
}

/**
 * Sends a GET whose header lines are written byte for byte (latin1), as no HTTP client library
 * would send them (a NUL or a bare LF in a value, a folded line, a header twice), and reads the
 * status line and headers of the answer. The socket is closed once the headers have arrived.
 */
export function rawGet(url: string, headerLines: string[]): Promise<RawResponse> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    const done = () => {
      const text = received.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = text.slice(0, end === -1 ? text.length : end).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      socket.destroy();
      resolve({ status: Number(statusLine.split(" ")[1] ?? 0), headers });
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.includes("\r\n\r\n")) done();
    });
    socket.on("end", done);
    socket.on("close", done);
    socket.on("error", (error) => (received.length > 0 ? done() : reject(error)));
    socket.write([`GET ${pathname}${search} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headerLines, "", ""].join("\r\n"), "latin1");
  });
}

import { randomBytes } from "node:crypto";
import net from "node:net";

/** What became of a raw WebSocket: the server's close code, `"dropped"` (no close frame), or `"open"` at the deadline. */
export type RawOutcome = number | "dropped" | "open";

/**
 * Completes a WebSocket handshake with `url` byte by byte, writes `bytes` as they are (frames `ws`
 * as a client would not send: a header with no payload after it, say), and resolves to how the
 * server ended the connection within `timeoutMs`, or `"open"` if it had not.
 */
export function rawWebSocketOutcome(url: string, bytes: Buffer, timeoutMs: number): Promise<RawOutcome> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    const done = (outcome: RawOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done("open"), timeoutMs);
    socket.on("error", () => {});
    socket.on("close", () => done("dropped"));
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end === -1) return;
        const status = buffer.subarray(0, buffer.indexOf("\r\n")).toString("latin1");
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          clearTimeout(timer);
          socket.destroy();
          return reject(new Error(`the handshake was answered "${status}"`));
        }
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        socket.write(bytes);
      }
      // Server frames are unmasked: opcode, length (7, 16 or 64 bits), payload.
      while (buffer.length >= 2) {
        const opcode = buffer[0]! & 0x0f;
        const short = buffer[1]! & 0x7f;
        const offset = short === 126 ? 4 : short === 127 ? 10 : 2;
        if (buffer.length < offset) return;
        const length = short === 126 ? buffer.readUInt16BE(2) : short === 127 ? Number(buffer.readBigUInt64BE(2)) : short;
        if (buffer.length < offset + length) return;
        const payload = buffer.subarray(offset, offset + length);
        buffer = buffer.subarray(offset + length);
        if (opcode === 0x8) return done(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
      }
    });
    socket.write(
      `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      "latin1",
    );
  });
}

/**
 * A final client text frame (RFC 6455, 5.2) whose header announces `announced` bytes (default: the
 * length of `text`) followed by `text`, masked with the all-zero key (the payload is sent as it is).
 */
export function clientTextFrame(text: string, announced = Buffer.byteLength(text)): Buffer {
  const length = announced < 126 ? Buffer.from([0x80 | announced]) : announced < 65_536 ? Buffer.from([0x80 | 126, announced >> 8, announced & 0xff]) : Buffer.concat([Buffer.from([0x80 | 127]), bigEndian64(announced)]);
  return Buffer.concat([Buffer.from([0x81]), length, Buffer.alloc(4), Buffer.from(text)]);
}

function bigEndian64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
}

import { randomBytes } from "node:crypto";
import net from "node:net";

/**
 * A WebSocket client at the byte level: it completes the opening handshake itself, then writes
 * whatever frames a test builds (fragments, bad UTF-8, lying lengths), and reads the server's
 * close frame. What `ws` as a client would refuse to send, this sends.
 */
export class RawWebSocket {
  readonly socket: net.Socket;
  /** The handshake answer's status line, e.g. `HTTP/1.1 101 Switching Protocols`. */
  status = "";
  /** The close code the server sent, once it has. */
  closeCode: number | undefined;
  /** Bytes of server frames received (after the handshake). */
  received = 0;
  /** Text frames the server sent, decoded. */
  readonly texts: string[] = [];
  ended = false;
  #buffer = Buffer.alloc(0);
  #handshaken = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#read(chunk));
    socket.on("close", () => (this.ended = true));
    socket.on("error", () => {});
  }

  /** Connects and sends the opening handshake; resolves once the server answered it. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<RawWebSocket> {
    const { hostname, port, pathname, search } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    const client = new RawWebSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const lines = [
      `GET ${pathname}${search} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.write(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
    await new Promise<void>((resolve) => {
      const check = () => {
        if (client.status !== "" || client.ended) {
          socket.off("data", check);
          socket.off("close", check);
          resolve();
        }
      };
      socket.on("data", check);
      socket.on("close", check);
    });
    return client;
  }

  get upgraded(): boolean {
    return this.status.startsWith("HTTP/1.1 101");
  }

  /** The handshake answer's status code (101 when upgraded), or 0 if the socket closed first. */
  get statusCode(): number {
    return Number(this.status.split(" ")[1] ?? 0);
  }

  /** Writes one masked client frame. */
  frame(opcode: number, payload: Buffer | string, fin = true): boolean {
    return this.socket.write(encodeClientFrame(opcode, typeof payload === "string" ? Buffer.from(payload) : payload, fin));
  }

  /** Writes raw bytes (a frame header that lies about its length, say). */
  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (!this.#handshaken) {
      const end = this.#buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      this.status = this.#buffer.subarray(0, this.#buffer.indexOf("\r\n")).toString("latin1");
      this.#handshaken = true;
      this.#buffer = this.#buffer.subarray(end + 4);
      if (!this.upgraded) return;
    }
    // Server frames are unmasked: FIN/opcode, length (7, 16 or 64 bits), payload.
    for (;;) {
      if (this.#buffer.length < 2) return;
      const opcode = this.#buffer[0]! & 0x0f;
      let length = this.#buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.length < 10) return;
        length = Number(this.#buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.#buffer.length < offset + length) return;
      const payload = this.#buffer.subarray(offset, offset + length);
      this.received += offset + length;
      if (opcode === 0x8) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      else if (opcode === 0x1) this.texts.push(payload.toString());
      this.#buffer = this.#buffer.subarray(offset + length);
    }
  }
}

export const opcodes = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** A masked client frame (RFC 6455, 5.2), as every client-to-server frame must be. */
export function encodeClientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  return Buffer.concat([clientFrameHeader(opcode, payload.length, fin, Buffer.alloc(4)), payload]);
}

/** The header of a masked client frame; with a zero mask the payload goes as it is. */
export function clientFrameHeader(opcode: number, length: number, fin = true, mask = Buffer.alloc(4)): Buffer {
  const first = (fin ? 0x80 : 0) | opcode;
  if (length < 126) return Buffer.concat([Buffer.from([first, 0x80 | length]), mask]);
  if (length < 65_536) {
    const header = Buffer.from([first, 0x80 | 126, 0, 0]);
    header.writeUInt16BE(length, 2);
    return Buffer.concat([header, mask]);
  }
  const header = Buffer.alloc(10);
  header[0] = first;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([header, mask]);
}

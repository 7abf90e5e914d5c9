import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Frame } from "../frame.js";
import { createHub } from "../hub.js";

const quiet = { warn() {}, error() {} };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after 5 s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe("WebSocket frames the hub writes itself (RFC 6455, 5.2)", () => {
  it("carries events of every payload length class, 7-bit, 16-bit and 64-bit, each side of each bound, as ws decodes them", async () => {
    const hub = createHub({ authorize: true, logger: quiet });
    const server = http.createServer();
    server.on("upgrade", (request, socket, head) => hub.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))), () => hub.close());
    const socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/events`, { perMessageDeflate: false });
    cleanups.push(() => socket.terminate());
    const received: string[] = [];
    socket.on("message", (data) => received.push(String(data)));
    // ws closes on a frame it cannot decode (1002): the case ends there instead of at a deadline.
    let closed: number | undefined;
    socket.on("close", (code) => (closed = code));
    await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
    await until(() => hub.stats().connections.websocket === 1, "the connection to be admitted");

    // Payloads of each length class's edges: 125 | 126 (16-bit length), 65,535 | 65,536 (64-bit).
    const bounds = [125, 126, 65_535, 65_536];
    const probe = await hub.publish({ event: "x", p: "" });
    const expected = [JSON.stringify({ event: "x", p: "", id: probe })];
    for (const bound of bounds) {
      // A few pads around the bound, so that whatever the ids' lengths, one payload is exactly at it.
      const pad = bound - expected[0]!.length;
      for (let n = pad - 3; n <= pad + 3; n++) {
        const p = "a".repeat(n);
        expected.push(JSON.stringify({ event: "x", p, id: await hub.publish({ event: "x", p }) }));
      }
    }
    expect(bounds.filter((bound) => !expected.some((json) => Buffer.byteLength(json) === bound))).toEqual([]);
    await until(() => received.length >= expected.length || closed !== undefined, `${expected.length} events or a close`);
    expect({ closed, received }).toEqual({ closed: undefined, received: expected });
  });

  it("encodes each length in the fewest bytes, as RFC 6455 5.2 requires: 7 bits to 125, 16 bits to 65,535, then 64", () => {
    const frameOf = (length: number) => {
      const base = new Frame({ id: "1", name: "x", session: undefined, json: '{"event":"x","p":""}' }).ws.length;
      return new Frame({ id: "1", name: "x", session: undefined, json: `{"event":"x","p":"${"a".repeat(length - base)}"}` });
    };
    const headers = [125, 126, 65_535, 65_536].map((length) => {
      const frame = frameOf(length);
      expect(frame.ws.length).toBe(length);
      const header = frame.wsFrame.subarray(0, frame.wsFrame.length - length);
      expect(frame.wsFrame.subarray(header.length).equals(frame.ws)).toBe(true);
      return [...header];
    });
    expect(headers).toEqual([
      [0x81, 125],
      [0x81, 126, 0x00, 0x7e],
      [0x81, 126, 0xff, 0xff],
      [0x81, 127, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00],
    ]);
  });
});

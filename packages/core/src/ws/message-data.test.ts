import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { messageBytes, messageText } from "./message-data.js";

describe("message data as bindings push it (protocol: Load and bad input)", () => {
  it("measures each shape in bytes", () => {
    expect(messageBytes("héllo")).toBe(6);
    expect(messageBytes([Buffer.from("ab"), Buffer.from("cdé")])).toBe(6);
    expect(messageBytes([])).toBe(0);
    expect(messageBytes(new Blob(["héllo"]))).toBe(6);
    expect(messageBytes(new ArrayBuffer(7))).toBe(7);
    expect(messageBytes(new Uint8Array(new ArrayBuffer(16), 4, 5))).toBe(5);
  });

  it("reads each shape as text; a Blob has none", () => {
    const bytes = Buffer.from('{"action":"ping"}');
    expect(messageText('{"a":1}')).toBe('{"a":1}');
    expect(messageText([bytes.subarray(0, 5), bytes.subarray(5)])).toBe('{"action":"ping"}');
    expect(messageText(new Blob(["x"]))).toBeUndefined();
    expect(messageText(new TextEncoder().encode('{"action":"ping"}').buffer)).toBe('{"action":"ping"}');
    // A view reads only its own window of the buffer behind it.
    const behind = new TextEncoder().encode('xx{"ok":1}yy').buffer;
    expect(messageText(new Uint8Array(behind, 2, 8))).toBe('{"ok":1}');
    expect(messageText(new DataView(behind, 3, 4))).toBe('"ok"');
  });
});

import { describe, expect, it } from "vitest";
import { ConnectionInbox } from "./connection-inbox.js";
import type { MessageData } from "./message-data.js";
import type { WsConnection } from "./ws-connection.js";

/** An inbox with a message limit of `maxMessageBytes`, and a record of what it refused and delivered. */
function inbox(maxMessageBytes = 100) {
  const refused: [number, string][] = [];
  const delivered: string[] = [];
  const box = new ConnectionInbox(maxMessageBytes, (code, reason) => refused.push([code, reason]));
  const connection = {
    receive: (data: MessageData, isBinary: boolean) => delivered.push(`${isBinary ? "binary" : "text"}:${String(data)}`),
    pong: () => delivered.push("pong"),
    socketClosed: () => delivered.push("closed"),
  } as unknown as WsConnection;
  return { box, refused, delivered, connection };
}

describe("ConnectionInbox: what a socket sends while authorize decides (protocol: Load and bad input)", () => {
  it("keeps 256 early messages and hands them over in order; the 257th closes the socket with 1008", () => {
    // Messages of up to 3 bytes against a byte bound of 4 × 1,000: only the count can refuse.
    const kept = inbox(1_000);
    for (let i = 0; i < 256; i++) kept.box.receive(String(i), false);
    expect(kept.refused).toEqual([]);
    kept.box.open(kept.connection);
    expect(kept.delivered).toEqual(Array.from({ length: 256 }, (_, i) => `text:${i}`));

    const over = inbox(1_000);
    for (let i = 0; i < 257; i++) over.box.receive(String(i), false);
    expect(over.refused).toEqual([[1008, "too many messages before the stream opened"]]);
    over.box.open(over.connection);
    expect(over.delivered).toEqual([]);
  });

  it("keeps exactly four maxMessageBytes of early messages; one byte more closes the socket with 1009", () => {
    const kept = inbox();
    for (let i = 0; i < 4; i++) kept.box.receive("x".repeat(100), false);
    expect(kept.refused).toEqual([]);
    kept.box.open(kept.connection);
    expect(kept.delivered).toHaveLength(4);

    const over = inbox();
    for (let i = 0; i < 4; i++) over.box.receive("x".repeat(100), false);
    over.box.receive("x", false);
    expect(over.refused).toEqual([[1009, "too much sent before the stream opened"]]);
    // Refused once: what arrives after the refusal is neither kept nor refused again.
    over.box.receive("y", false);
    expect(over.refused).toHaveLength(1);
    over.box.open(over.connection);
    expect(over.delivered).toEqual([]);
  });

  it("counts bytes, not characters, toward the bound", () => {
    const { box, refused } = inbox();
    // 4 × 100 bytes is 200 two-byte characters; one more goes over.
    box.receive("é".repeat(200), false);
    expect(refused).toEqual([]);
    box.receive("é", false);
    expect(refused).toEqual([[1009, "too much sent before the stream opened"]]);
  });

  it("keeps whether each message was binary, and passes everything after opening straight through", () => {
    const { box, delivered, connection } = inbox();
    box.receive("a", true);
    box.pong(); // no connection yet: nothing to tell
    box.open(connection);
    box.receive("b", false);
    box.pong();
    expect(delivered).toEqual(["binary:a", "text:b", "pong"]);
  });

  it("tells the connection the socket is gone after what it sent, once, whether it went before or after opening", () => {
    const before = inbox();
    before.box.receive("a", false);
    before.box.closed();
    before.box.closed();
    expect(before.box.gone).toBe(true);
    before.box.open(before.connection);
    // What was kept is dropped with the socket; the connection only learns it is gone.
    expect(before.delivered).toEqual(["closed"]);

    const after = inbox();
    after.box.open(after.connection);
    after.box.closed();
    after.box.closed();
    expect(after.delivered).toEqual(["closed"]);
  });

  it("ignores what a gone socket still reports before the stream opens", () => {
    const { box, refused, delivered, connection } = inbox();
    box.closed();
    for (let i = 0; i < 300; i++) box.receive("x".repeat(100), false);
    expect(refused).toEqual([]);
    box.open(connection);
    expect(delivered).toEqual(["closed"]);
  });
});

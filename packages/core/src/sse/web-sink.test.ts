import { describe, expect, it } from "vitest";
import { WebSseSink } from "./web-sink.js";

const text = (chunk: Uint8Array | undefined) => Buffer.from(chunk ?? []).toString();

describe("WebSseSink", () => {
  it("hands each turn's chunks to the reader as one, in order, and counts what it has not taken", async () => {
    const sink = new WebSseSink();
    const reader = sink.stream.getReader();
    sink.write(Buffer.from("a"));
    sink.write(Buffer.from("bc"));
    expect(sink.bufferedBytes).toBe(3);
    await Promise.resolve(); // the turn ends
    sink.write(Buffer.from("de"));
    expect(text((await reader.read()).value)).toBe("abc");
    expect(sink.bufferedBytes).toBe(2);
    const drained = sink.drained();
    expect(text((await reader.read()).value)).toBe("de");
    await drained;
    expect(sink.bufferedBytes).toBe(0);
    const pending = reader.read(); // waits for the next write
    sink.write(Buffer.from("d"));
    expect(text((await pending).value)).toBe("d");
  });

  it("destroy drops what is unsent and ends the stream cleanly, without an error", async () => {
    const sink = new WebSseSink();
    const reader = sink.stream.getReader();
    let closed = 0;
    sink.onClose(() => closed++);
    sink.write(Buffer.from("taken"));
    expect(text((await reader.read()).value)).toBe("taken");
    sink.write(Buffer.from("dropped 1"));
    sink.write(Buffer.from("dropped 2"));
    sink.destroy();
    expect(closed).toBe(1);
    expect(sink.bufferedBytes).toBe(0);
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    sink.write(Buffer.from("after"));
    expect(sink.bufferedBytes).toBe(0);
  });

  it("end delivers what is queued, then closes; the hub hears it closed at once", async () => {
    const sink = new WebSseSink();
    let closed = 0;
    sink.onClose(() => closed++);
    sink.write(Buffer.from("x"));
    sink.write(Buffer.from("y"));
    sink.end();
    expect(closed).toBe(1);
    const reader = sink.stream.getReader();
    expect(text((await reader.read()).value)).toBe("xy");
    expect((await reader.read()).done).toBe(true);
  });

  it("reports a reader that cancels as closed, and resolves drain waiters", async () => {
    const sink = new WebSseSink();
    let closed = 0;
    sink.onClose(() => closed++);
    sink.write(Buffer.from("never read"));
    const drained = sink.drained();
    await sink.stream.cancel();
    await drained;
    expect(closed).toBe(1);
    expect(sink.bufferedBytes).toBe(0);
  });
});

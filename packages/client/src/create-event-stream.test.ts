import { describe, expect, it } from "vitest";
import { createEventStream } from "./create-event-stream.js";

describe("createEventStream options", () => {
  it("accepts heartbeatMs 0 (no liveness checks) without a heartbeatTimeoutMs", () => {
    const stream = createEventStream({ url: "http://127.0.0.1:9/events", transport: "sse", heartbeatMs: 0, reconnect: false });
    stream.close();
    expect(stream.status).toBe("closed");
  });

  it.each([[{ heartbeatMs: -1 }], [{ heartbeatMs: 1000, heartbeatTimeoutMs: 0 }]])("rejects %o with a TypeError naming the option", (options) => {
    expect(() => createEventStream({ url: "http://127.0.0.1:9/events", ...options })).toThrow(/heartbeatMs must be >= 0/);
  });

  it("rejects a from that is neither live nor earliest (an id belongs in lastEventId)", () => {
    expect(() => createEventStream({ url: "http://127.0.0.1:9/events", from: "oldest" as never })).toThrow(new TypeError('from must be "live" or "earliest", got "oldest"'));
  });
});

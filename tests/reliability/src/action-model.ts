import { ActionError, type ActionMessage } from "@eventwire/core";
import fc from "fast-check";
import type { Message } from "./clients.js";
import type { ServedHub } from "./hubs.js";

/**
 * A model of what a hub answers to each client frame (docs/protocol.md#wire-protocol "Client to server", docs/protocol.md#load-and-bad-input), the
 * actions it runs for the fuzz, and a seeded generator of hostile frames: for
 * `test/hostile-frames.test.ts`.
 */
export type ClientFrame = { binary: Uint8Array } | { text: string };

export const maxMessageBytes = 16_384;
const known = ["ping", "echo", "echoAsync", "fail", "failAsync", "unencodable", "send"] as const;

/** The hub's action handlers for the fuzz: sync and async, succeeding and failing. */
export function registerActions(served: ServedHub): void {
  const { hub } = served;
  hub.action("echo", (message) => message.payload);
  hub.action("echoAsync", async (message) => ({ async: true, payload: message.payload ?? null }));
  hub.action("fail", () => {
    throw new Error("nope");
  });
  hub.action("failAsync", async () => {
    throw new ActionError("async_failed", "nope, later");
  });
  hub.action("unencodable", () => 10n);
  hub.action("send", (message, ctx) => {
    ctx.send({ event: "note", n: message.n ?? null });
    return "sent";
  });
}

/** What docs/protocol.md#wire-protocol and docs/protocol.md#load-and-bad-input say the server answers to one frame (error messages aside: codes and refs). */
export function expectedReplies(frame: ClientFrame): Message[] {
  const error = (code: string, ref?: unknown) => ({ event: "error", ...(ref === undefined ? {} : { ref }), code });
  if ("binary" in frame) return [error("bad_json")];
  let message: unknown;
  try {
    message = JSON.parse(frame.text);
  } catch {
    return [error("bad_json")];
  }
  if (typeof message !== "object" || message === null || Array.isArray(message) || typeof (message as ActionMessage).action !== "string") return [error("bad_json")];
  const { action, ref: rawRef, payload, n } = message as ActionMessage;
  const ref = typeof rawRef === "string" || typeof rawRef === "number" ? rawRef : undefined;
  const replies: Message[] = (() => {
    switch (action) {
      case "ping":
        return [{ event: "pong", ref }];
      case "echo":
        return [{ event: "ack", ref, result: payload ?? null }];
      case "echoAsync":
        return [{ event: "ack", ref, result: { async: true, payload: payload ?? null } }];
      case "fail":
      case "unencodable":
        return [error("action_failed", ref)];
      case "failAsync":
        return [error("async_failed", ref)];
      case "send":
        return [{ event: "note", n: n ?? null }, { event: "ack", ref, result: "sent" }];
      default:
        return [error("unknown_action", ref)];
    }
  })();
  // As the wire carries them: JSON turns huge numbers into null and drops undefined fields.
  return replies.map((reply) => JSON.parse(JSON.stringify(reply)) as Message);
}

/** A reply without its human-readable `message` (an error's), for comparison by code and ref. */
export function normalised(reply: Message): Message {
  if (reply.event !== "error") return reply;
  const { message, ...rest } = reply;
  return typeof message === "string" ? rest : { ...rest, message };
}

export const isAsyncReply = (reply: Message) => (reply.event === "ack" && typeof reply.result === "object" && reply.result !== null && "async" in reply.result) || reply.code === "async_failed";

/** JSON with every object's keys sorted, so equal replies compare equal as strings. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Frames a fuzzer would send, from a fixed seed, each with the replies it must get. */
export function hostileFrames(count: number, seed: number): { frame: ClientFrame; replies: Message[] }[] {
  const ref = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.nat(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.nat(), { maxKeys: 2 }),
  );
  const action = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "PING", " ping", "") },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 })) },
  );
  const actionMessage = fc
    .record({ action, ref, payload: fc.jsonValue({ maxDepth: 3, depthSize: "xsmall" }), n: fc.integer() }, { requiredKeys: ["action"] })
    .map((message) => ({ text: JSON.stringify(message) }));
  const hugeNumbers = fc.constantFrom(
    '{"action":"ping","ref":1e400}',
    '{"action":"ping","ref":-1e400}',
    '{"action":"echo","ref":123456789012345678901234567890,"payload":1e309}',
    '{"action":"echo","payload":-0}',
    '{"action":"ping","ref":9007199254740993}',
    '{"action":"echo","payload":0.1e-400}',
  );
  const oddShapes = fc.oneof(
    // Deep nesting (fc.constant: constantFrom would hash these long strings on every draw).
    fc.constant("[".repeat(5_000) + "]".repeat(5_000)),
    fc.constant(`{"action":"echo","payload":${'{"a":'.repeat(1_000)}1${"}".repeat(1_000)}}`),
    fc.constant(`{"action":"ping","ref":${"[".repeat(3_000)}${"]".repeat(3_000)}}`),
    fc.constantFrom(
      '{"__proto__":{"action":"ping"}}',
      '{"action":"ping","__proto__":{"ref":"polluted"}}',
      '{"constructor":{"prototype":{"action":"ping"}}}',
      '{"action":"ping"',
      '{"action":"ping"}}',
      '  {"action":"ping","ref":"padded"}  ',
      '\uFEFF{"action":"ping"}',
      '{"action":"ping","action":"echo","payload":"last wins"}',
      "",
      "null",
      "[]",
      '"ping"',
      "{}",
    ),
  );
  const frame: fc.Arbitrary<ClientFrame> = fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((binary) => ({ binary })) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 64 }).map((text) => ({ text })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2, depthSize: "xsmall" }).map((value) => ({ text: JSON.stringify(value) })) },
    { weight: 8, arbitrary: actionMessage },
    { weight: 1, arbitrary: hugeNumbers.map((text) => ({ text })) },
    { weight: 1, arbitrary: oddShapes.map((text) => ({ text })) },
  );
  const fits = (f: ClientFrame) => ("binary" in f ? f.binary.length : Buffer.byteLength(f.text)) <= maxMessageBytes;
  return fc.sample(frame.filter(fits), { numRuns: count, seed }).map((frame) => ({ frame, replies: expectedReplies(frame) }));
}

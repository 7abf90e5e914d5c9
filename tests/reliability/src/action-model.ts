import { ActionError } from "@eventwire/core";
import fc from "fast-check";
import type { Message } from "./clients.js";
import type { ServedHub } from "./hubs.js";

/**
 * A model of what a hub answers to each client frame (docs/protocol.md#wire-protocol "Client to server", docs/protocol.md#load-and-bad-input):
 * the actions it runs for the fuzz, and a fast-check generator of hostile frames, each with the
 * replies it must get: for `test/hostile-frames.test.ts`.
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

/** A frame with the replies docs/protocol.md#wire-protocol gives it, known from how the frame was made. */
export interface BuiltFrame {
  /** What kind of frame it is, for the counterexample a failing property prints. */
  readonly kind: string;
  readonly frame: ClientFrame;
  readonly replies: Message[];
}

const error = (code: string, ref?: string | number): Message => ({ event: "error", ...(ref === undefined ? {} : { ref }), code });
const badJson = (kind: string, frame: ClientFrame): BuiltFrame => ({ kind, frame, replies: [error("bad_json")] });

/** A `ref` as sent, and as the reply carries it: only a string or a number is echoed (JSON has no -0). */
const refs: fc.Arbitrary<{ sent?: unknown; echoed?: string | number }> = fc.oneof(
  fc.constant({}),
  fc.string({ maxLength: 12 }).map((ref) => ({ sent: ref, echoed: ref })),
  fc.integer().map((ref) => ({ sent: ref, echoed: ref })),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((ref) => ({ sent: ref, echoed: ref || 0 })),
  fc.oneof(fc.boolean(), fc.constant(null), fc.array(fc.nat(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.nat(), { maxKeys: 2 })).map((ref) => ({ sent: ref })),
);

/** A well-formed action message: a known action (or an unknown name), a ref, maybe a payload and `n`. */
const actionMessages = fc.record({
  action: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }).filter((name) => !(known as readonly string[]).includes(name)) },
    { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "PING", " ping", "") },
  ),
  ref: refs,
  payload: fc.option(fc.jsonValue({ maxDepth: 3, depthSize: "xsmall" }), { nil: undefined }),
  n: fc.option(fc.integer(), { nil: undefined }),
});
type ActionMessageSpec = typeof actionMessages extends fc.Arbitrary<infer T> ? T : never;

/** The message object a spec describes, fields left out when absent. */
function messageOf({ action, ref, payload, n }: ActionMessageSpec): Record<string, unknown> {
  return { action, ...("sent" in ref ? { ref: ref.sent } : {}), ...(payload === undefined ? {} : { payload }), ...(n === undefined ? {} : { n }) };
}

/** The replies to an action message, as the spec of the message says. */
function repliesTo({ action, ref: { echoed: ref }, payload, n }: ActionMessageSpec): Message[] {
  const withRef = ref === undefined ? {} : { ref };
  switch (action) {
    case "ping":
      return [{ event: "pong", ...withRef }];
    case "echo":
      return [{ event: "ack", ...withRef, result: payload ?? null }];
    case "echoAsync":
      return [{ event: "ack", ...withRef, result: { async: true, payload: payload ?? null } }];
    case "fail":
    case "unencodable":
      return [error("action_failed", ref)];
    case "failAsync":
      return [error("async_failed", ref)];
    case "send":
      return [{ event: "note", n: n ?? null }, { event: "ack", ...withRef, result: "sent" }];
    default:
      return [error("unknown_action", ref)];
  }
}

const actionFrames: fc.Arbitrary<BuiltFrame> = actionMessages.map((spec) => ({ kind: "action", frame: { text: JSON.stringify(messageOf(spec)) }, replies: repliesTo(spec) }));

/** Number literals JSON cannot hold exactly, with the value the reply carries (on the wire). */
const numberLiterals: readonly [literal: string, onTheWire: number | null][] = [
  ["1e400", null],
  ["-1e400", null],
  ["1e309", null],
  ["123456789012345678901234567890", 1.2345678901234568e29],
  ["9007199254740993", 9007199254740992],
  ["-0", 0],
  ["0.1e-400", 0],
];

/** Ways to break JSON, each by construction: the text is no JSON whatever the base message was. */
const breakings: [kind: string, (text: string, cut: number, junk: string) => string][] = [
  ["truncated", (text, cut) => text.slice(0, cut % text.length)],
  ["trailing junk", (text, _cut, junk) => text + junk],
  ["single quotes", (text) => text.replaceAll('"', "'")],
  ["a trailing comma", (text) => `${text.slice(0, -1)},}`],
  ["a byte-order mark", (text) => `\uFEFF${text}`],
  ["a comment", (text) => `/* c */${text}`],
  ["an unquoted key", (text) => text.replace('"action"', "action")],
];

const invalidJson: fc.Arbitrary<BuiltFrame> = fc
  .tuple(actionMessages, fc.constantFrom(...breakings), fc.nat(), fc.constantFrom("}", "]", "x", ",", "{", ":", "'"))
  .map(([spec, [kind, breakJson], cut, junk]) => badJson(`invalid JSON: ${kind}`, { text: breakJson(JSON.stringify(messageOf(spec)), cut, junk) }));

/** Text no JSON value can start with (a JSON text starts with whitespace, `{["-`, a digit, `t`, `f` or `n`). */
const junkText: fc.Arbitrary<BuiltFrame> = fc
  .tuple(fc.constantFrom("x", "#", "}", "]", ":", ",", "'", "\u0000", "\u0007", "🎙️", "NaN", "Infinity", "undefined"), fc.string({ unit: "binary", maxLength: 64 }))
  .map(([start, rest]) => badJson("junk text", { text: start + rest }));

/** JSON that is not an object with a string `action`. */
const wrongShapes: fc.Arbitrary<BuiltFrame> = fc.oneof(
  fc.oneof(fc.string({ maxLength: 12 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 })).map((value) => badJson("not an object", { text: JSON.stringify(value) })),
  fc.dictionary(fc.string({ maxLength: 6 }).filter((key) => key !== "action"), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }).map((value) => badJson("no action", { text: JSON.stringify(value) })),
  fc
    .oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }))
    .map((action) => badJson("an action that is no string", { text: JSON.stringify({ action, ref: 1 }) })),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => badJson("nested arrays", { text: "[".repeat(depth) + "]".repeat(depth) })),
);

/** Valid JSON the server reads by JSON's rules, with the answer those rules give. */
const oddButValid: fc.Arbitrary<BuiltFrame> = fc.oneof(
  // A payload nested `depth` deep, echoed whole.
  fc.integer({ min: 1, max: 1_000 }).map((depth) => {
    const text = `{"action":"echo","payload":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
    let payload: unknown = 1;
    for (let i = 0; i < depth; i++) payload = { a: payload };
    return { kind: "a deep payload", frame: { text }, replies: [{ event: "ack", result: payload }] };
  }),
  // A ref nested `depth` deep: no string or number, so not echoed.
  fc.integer({ min: 1, max: 3_000 }).map((depth) => ({ kind: "a deep ref", frame: { text: `{"action":"ping","ref":${"[".repeat(depth)}${"]".repeat(depth)}}` }, replies: [{ event: "pong" }] })),
  // A number JSON cannot hold, as ref or payload.
  fc.tuple(fc.constantFrom(...numberLiterals), fc.boolean()).map(([[literal, value], asRef]) =>
    asRef
      ? { kind: `ref ${literal}`, frame: { text: `{"action":"ping","ref":${literal}}` }, replies: [{ event: "pong", ref: value }] }
      : { kind: `payload ${literal}`, frame: { text: `{"action":"echo","payload":${literal}}` }, replies: [{ event: "ack", result: value }] },
  ),
  // Prototype keys are plain data: they neither supply an action nor pollute a field.
  fc.tuple(actionMessages, fc.constantFrom("__proto__", "constructor", "prototype"), fc.constantFrom('{"action":"ping"}', '{"ref":"polluted"}', '{"prototype":{"action":"ping"}}')).map(([spec, key, value]) => ({
    kind: `a "${key}" key`,
    frame: { text: `{"${key}":${value},${JSON.stringify(messageOf(spec)).slice(1)}` },
    replies: repliesTo(spec),
  })),
  fc.constantFrom("__proto__", "constructor").map((key) => badJson(`only a "${key}" key`, { text: `{"${key}":{"action":"ping"}}` })),
  // A repeated key: the last one counts.
  fc.tuple(actionMessages, actionMessages).map(([first, last]) => ({
    kind: "action given twice",
    frame: { text: `{"action":${JSON.stringify(first.action)},${JSON.stringify(messageOf(last)).slice(1)}` },
    replies: repliesTo(last),
  })),
  // Whitespace around the object.
  fc.tuple(actionMessages, fc.constantFrom(" ", "\t", "\n", "\r\n ")).map(([spec, space]) => ({ kind: "padded", frame: { text: `${space}${JSON.stringify(messageOf(spec))}${space}` }, replies: repliesTo(spec) })),
);

/**
 * Hostile client frames, each built from a description of what it is, so its expected replies come
 * from how it was made and never from parsing it back: a model that parsed it with the server's own
 * `JSON.parse` would agree with a server whatever that parser got wrong.
 */
export const hostileFrames: fc.Arbitrary<BuiltFrame> = fc
  .oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((binary) => badJson("binary", { binary })) },
    { weight: 8, arbitrary: actionFrames },
    { weight: 2, arbitrary: invalidJson },
    { weight: 1, arbitrary: junkText },
    { weight: 2, arbitrary: wrongShapes },
    { weight: 2, arbitrary: oddButValid },
    { weight: 1, arbitrary: fc.constant(badJson("empty", { text: "" })) },
  )
  .filter(({ frame }) => ("binary" in frame ? frame.binary.length : Buffer.byteLength(frame.text)) <= maxMessageBytes);

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Capabilities, HandshakeKind, Harness, TargetAnswer, TargetKind, Transport } from "../harness.js";
import { rawAnswer, type RawAnswer } from "../raw-request.js";
import { ticksThroughout } from "../ticks-throughout.js";
import { until } from "../wait.js";

/**
 * A generated request, with the answer docs/protocol.md gives it (#wire-protocol, #resume,
 * #load-and-bad-input) or, off the stream's path, the framework's: a stream (SSE 200, WebSocket
 * 101), or a status (and for the hub's own refusals, the body).
 */
interface GeneratedRequest {
  /** What kind of request it is, for the counterexample a failing property prints. */
  kind: string;
  transport: Transport;
  target: string;
  /** Header lines after Host (and the handshake's, on WebSocket), each without its CRLF. */
  headers: string[];
  answer: "stream" | { status: number; body?: unknown };
  /** On an SSE stream: the first message (a `gap`), if one must come before anything else. */
  firstMessage?: unknown;
}

const handshake = ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"];
const sseAccept = "Accept: text/event-stream";
const unreserved = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~");
/** A path segment of unreserved characters; never `.` or `..`. */
const word = (maxLength: number) => fc.string({ unit: unreserved, minLength: 1, maxLength }).filter((segment) => !/^\.+$/.test(segment));

/** A header name in random letter case: names are case-insensitive (RFC 9110, 5.1). */
const oddCase = (name: string) => fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));

/** Another path than the stream's: percent-encodings (valid), unicode, long segments (no `.` or empty ones: see "dot segments", "double slash"). */
const otherPaths = fc
  .array(
    fc.oneof(
      word(12),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 6 }).map((text) => encodeURIComponent(text)),
      fc.constantFrom("%41", "%7e", "%2F", "%20", "a.b"),
      fc.integer({ min: 100, max: 6_000 }).map((length) => "a".repeat(length)),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((segments) => `/zz-${segments.join("/")}`);

/** Targets near the stream's path, by kind; the framework's router decides these. */
function targetsNear(path: string): fc.Arbitrary<{ kind: TargetKind | "other path" | "suffixed" | "upper case"; target: string }> {
  const letters = [...path].flatMap((c, i) => (/[a-z]/.test(c) ? [i] : []));
  return fc.oneof(
    otherPaths.map((target) => ({ kind: "other path" as const, target })),
    fc.oneof(word(8), fc.constantFrom(".json", ";v=1", "%2F", "/x", "-x")).map((suffix) => ({ kind: "suffixed" as const, target: `${path}${/^[A-Za-z0-9]/.test(suffix) ? `x${suffix}` : suffix}` })),
    fc.constant({ kind: "upper case" as const, target: path.toUpperCase() }),
    fc.constantFrom("/", "//").map((suffix) => ({ kind: "trailing slash" as const, target: `${path}${suffix}` })),
    fc.tuple(fc.constantFrom(...letters), fc.boolean()).map(([at, upperHex]) => {
      const hex = path.charCodeAt(at).toString(16);
      return { kind: "percent-encoded" as const, target: `${path.slice(0, at)}%${upperHex ? hex.toUpperCase() : hex}${path.slice(at + 1)}` };
    }),
    fc.constantFrom(`${path}%zz`, `${path}/%`, `${path}%E0%A4%A`, "/%", "/zz-%C3%28", "/zz-%").map((target) => ({ kind: "undecodable" as const, target })),
    fc.oneof(word(6).map((segment) => `/${segment}/..${path}`), fc.constant(`/.${path}`)).map((target) => ({ kind: "dot segments" as const, target })),
    fc.tuple(otherPaths, word(8)).map(([other, last]) => ({ kind: "double slash" as const, target: `${other}//${last}` })),
  );
}

/** Printable ASCII, spaces and tabs inside: what a Last-Event-ID value can hold on every runtime (the parser trims the ends). */
const headerValue = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(..." \t!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"), minLength, maxLength }).map((value) => value.trim()).filter((value) => value.length >= minLength && value !== "earliest");

/** A {@link TargetAnswer} as a generated request's expected answer. */
const answerOf = (answer: TargetAnswer): GeneratedRequest["answer"] => (answer === "stream" ? "stream" : { status: answer === "unanswered" ? 0 : answer });

const tooLong = { status: 400, body: { error: "bad_request", message: "lastEventId is longer than 512 characters" } };
const gapFor = (lastEventId: string) => ({ event: "gap", lastEventId, reason: "unknown" });

/** Headers on the stream's path, by kind: Last-Event-ID values, Accept, size and repetition; and WebSocket handshakes. */
function headerRequests(path: string, offered: readonly Transport[], { handshakes = {}, largeHeaders = 431 }: Capabilities): fc.Arbitrary<GeneratedRequest> {
  const sse = (kind: string, headers: string[], answer: GeneratedRequest["answer"], firstMessage?: unknown): GeneratedRequest => ({ kind, transport: "sse", target: path, headers, answer, ...(firstMessage ? { firstMessage } : {}) });
  const ws = (kind: string, headers: string[], answer: GeneratedRequest["answer"]): GeneratedRequest => ({ kind, transport: "websocket", target: path, headers, answer });
  const forSse = [
    fc.tuple(oddCase("Last-Event-ID"), headerValue(1, 512)).map(([name, id]) => sse("Last-Event-ID", [sseAccept, `${name}: ${id}`], "stream", gapFor(id))),
    fc.tuple(oddCase("Last-Event-ID"), headerValue(513, 700)).map(([name, id]) => sse("Last-Event-ID over 512 characters", [sseAccept, `${name}: ${id}`], tooLong)),
    fc.tuple(headerValue(1, 40), headerValue(1, 40)).map(([a, b]) => sse("Last-Event-ID twice", [sseAccept, `Last-Event-ID: ${a}`, `Last-Event-ID: ${b}`], "stream", gapFor(`${a}, ${b}`))),
    oddCase("Last-Event-ID").map((name) => sse("an empty Last-Event-ID", [sseAccept, `${name}:`], "stream")),
    fc.tuple(oddCase("Accept"), fc.constantFrom("*/*", "text/html", "application/json", "text/event-stream;q=0.1", "text/event-stream, */*")).map(([name, value]) => sse("Accept", [`${name}: ${value}`], "stream")),
    fc.constant(sse("no Accept", [], "stream")),
    fc.integer({ min: 1, max: 8_000 }).map((length) => sse("a large header", [sseAccept, `X-Pad: ${"p".repeat(length)}`], "stream")),
    // Up to 90: runtimes cap how many header lines a request may have (Deno answers over 100 with 400).
    fc.integer({ min: 1, max: 90 }).map((count) => sse("a repeated header", [sseAccept, ...Array.from({ length: count }, () => "X-Repeat: 1")], "stream")),
    fc.integer({ min: 17_000, max: 20_000 }).map((length) => sse("headers over 16 KB", [sseAccept, `X-Pad: ${"p".repeat(length)}`], answerOf(largeHeaders))),
  ];
  const forWebSocket = [
    fc
      .tuple(oddCase("Connection"), oddCase("Upgrade"), oddCase("Sec-WebSocket-Key"), oddCase("Sec-WebSocket-Version"), fc.constantFrom("Upgrade", "upgrade", "keep-alive, Upgrade"))
      .map(([connection, upgrade, key, version, connectionValue]) =>
        ws("a handshake, names in any case", [`${connection}: ${connectionValue}`, `${upgrade}: websocket`, `${key}: dGhlIHNhbXBsZSBub25jZQ==`, `${version}: 13`], "stream"),
      ),
    fc.constant(ws("a handshake with Upgrade: WebSocket", handshake.map((line) => line.replace(": websocket", ": WebSocket")), answerOf(handshakes["Upgrade: WebSocket"] ?? "stream"))),
    fc
      .constantFrom<[HandshakeKind, string[]]>(
        ["an unknown version", handshake.map((line) => line.replace(": 13", ": 99"))],
        ["no version", handshake.filter((line) => !line.startsWith("Sec-WebSocket-Version"))],
        ["no key", handshake.filter((line) => !line.startsWith("Sec-WebSocket-Key"))],
        ["a key of the wrong length", handshake.map((line) => line.replace(/Key: .*/, "Key: abc"))],
        ["the key twice", [...handshake, handshake[2]!]],
        ["a malformed subprotocol list", [...handshake, "Sec-WebSocket-Protocol: chat, , x y"]],
      )
      .map(([kind, headers]) => ws(`a handshake with ${kind}`, headers, answerOf(handshakes[kind] ?? 400))),
    // Not a WebSocket handshake: where the runtime takes it for no upgrade at all, it is a GET for the SSE stream.
    fc.constant(sse("an upgrade to h2c", ["Connection: Upgrade", "Upgrade: h2c", sseAccept], answerOf(handshakes["an upgrade to h2c"] ?? 400))),
  ];
  return fc.oneof(...forSse, ...(offered.includes("websocket") ? forWebSocket : []));
}

/**
 * docs/protocol.md#load-and-bad-input: generated request targets and headers, on raw sockets, each
 * get exactly their answer (the stream, the hub's refusal, or the framework's own answer off the
 * stream's path, as the adapter declares it in `capabilities.routing`), and the server stays up: a
 * bystander on each transport receives every event published meanwhile.
 */
export function requestHeadCases(harness: () => Harness, offered: readonly Transport[]): void {
  describe("generated request heads", () => {
    it("answers generated paths and headers exactly, on raw sockets, while a bystander on each transport keeps receiving", { timeout: 120_000 }, async () => {
      const served = await harness().serve();
      const url = new URL(served.sseUrl());
      const { pathname: path } = url;
      const port = Number(url.port);
      const routing = harness().capabilities.routing ?? {};
      const bystanders = [await harness().sse(served.sseUrl()), ...(offered.includes("websocket") ? [await harness().ws(served.wsUrl())] : [])];
      await until(async () => (await served.hub.stats()).connections.sse + (await served.hub.stats()).connections.websocket === bystanders.length, "the bystanders to be admitted");

      const routed = fc.tuple(targetsNear(path), fc.constantFrom(...offered)).map(([{ kind, target }, transport]): GeneratedRequest => {
        const declared = routing[kind === "other path" || kind === "suffixed" || kind === "upper case" ? "elsewhere" : kind];
        const answer: TargetAnswer = declared === undefined ? 404 : typeof declared === "object" ? declared[transport] : declared;
        return { kind, transport, target, headers: transport === "sse" ? [sseAccept] : handshake, answer: answerOf(answer) };
      });
      const requests = fc.oneof(routed, headerRequests(path, offered, harness().capabilities));

      await ticksThroughout(bystanders, async (n) => [await served.hub.publish({ event: "tick", n })], 10, () =>
        fc.assert(
          fc.asyncProperty(requests, async (request) => {
            const { transport, target, headers, answer, firstMessage } = request;
            const lines = [`GET ${target} HTTP/1.1`, "Host: 127.0.0.1", ...(transport === "websocket" && !headers.some((line) => /^upgrade:/i.test(line)) ? handshake : []), ...headers];
            const got = await rawAnswer(port, `${lines.join("\r\n")}\r\n\r\n`, {
              timeoutMs: answer !== "stream" && answer.status === 0 ? 500 : 5_000,
              streamRead: (body) => (firstMessage === undefined ? body.includes("\n\n") : /\ndata: .*\n\n/.test(body)),
            });
            expect({ request, got: summary(got, request) }).toEqual({ request, got: expected(request) });
          }),
          { numRuns: 150, seed: 17 },
        ),
      );
      await until(async () => {
        const { sse, websocket } = (await served.hub.stats()).connections;
        return sse + websocket === bystanders.length;
      }, "only the bystanders to be counted");
    });
  });
}

/** The parts of an answer that `request`'s expected answer fixes. */
function summary(got: RawAnswer, { transport, answer, firstMessage }: GeneratedRequest): unknown {
  if (transport === "websocket" && got.status === 101) return { status: 101, upgrade: got.headers.upgrade?.toLowerCase() };
  if (got.status === 200 && /^text\/event-stream/.test(got.headers["content-type"] ?? "")) {
    const data = /\ndata: (.*)\n\n/.exec(got.body)?.[1];
    return { status: 200, eventStream: true, retry: /^retry: \d+\n\n/.test(got.body), ...(firstMessage === undefined ? {} : { firstMessage: data === undefined ? undefined : JSON.parse(data) }) };
  }
  if (answer !== "stream" && answer.body !== undefined) return { status: got.status, body: parsedOrText(got.body) };
  return { status: got.status };
}

function parsedOrText(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function expected({ transport, answer, firstMessage }: GeneratedRequest): unknown {
  if (answer !== "stream") return answer;
  if (transport === "websocket") return { status: 101, upgrade: "websocket" };
  return { status: 200, eventStream: true, retry: true, ...(firstMessage === undefined ? {} : { firstMessage }) };
}

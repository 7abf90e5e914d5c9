import { describe, expect, it } from "vitest";
import { defaultLimits, resolveOptions } from "./options.js";
import type { HubOptions } from "./options.js";

const resolve = (options: Record<string, unknown>) => resolveOptions(options as HubOptions<string>);
const refusal = (message: string) => new TypeError(`createHub: ${message}`);

describe("createHub's options (README: Options)", () => {
  it("fills in the documented defaults", () => {
    const resolved = resolve({});
    expect(resolved).toMatchObject({
      sessionKey: "sessionId",
      history: { maxEvents: 10_000, maxAgeMs: 300_000 },
      authorize: true,
      allowedOrigins: undefined,
      eventLines: false,
      heartbeatMs: 15_000,
      retryMs: 1_000,
      closeRate: 2_000,
      maxStreamMs: 0,
      limits: { maxConnections: 10_000, maxBufferedBytes: 1_048_576, maxMessageBytes: 16_384, actionsPerSecond: 20 },
      logger: console,
    });
    expect(resolved.limits).toEqual(defaultLimits);
    expect([...resolved.optIn]).toEqual([]);
    expect([...resolved.scopes]).toEqual([]);
  });

  it("keeps what is given, over each default", () => {
    const logger = { warn() {}, error() {} };
    const authorize = () => true;
    const resolved = resolve({
      sessionKey: "callId",
      optIn: ["bot.audio"],
      history: { maxEvents: 5 },
      authorize,
      allowedOrigins: ["https://app.example"],
      eventLines: true,
      heartbeatMs: 1,
      retryMs: 2,
      closeRate: Infinity,
      maxStreamMs: 60_000,
      limits: { maxConnections: 3 },
      logger,
    });
    expect(resolved).toMatchObject({
      sessionKey: "callId",
      history: { maxEvents: 5, maxAgeMs: 300_000 },
      authorize,
      eventLines: true,
      heartbeatMs: 1,
      retryMs: 2,
      closeRate: Infinity,
      maxStreamMs: 60_000,
      limits: { ...defaultLimits, maxConnections: 3 },
      logger,
    });
    expect([...resolved.optIn]).toEqual(["bot.audio"]);
    expect([...resolved.allowedOrigins!]).toEqual(["https://app.example"]);
    expect(resolve({ authorize: false }).authorize).toBe(false);
    // Only `true` turns event lines on.
    expect(resolve({ eventLines: "yes" }).eventLines).toBe(false);
  });

  it("refuses a number that is not positive, naming the option and the value", () => {
    for (const name of ["heartbeatMs", "retryMs", "closeRate"]) {
      for (const value of [0, -1, Number.NaN, "5"]) {
        expect(() => resolve({ [name]: value }), `${name}: ${String(value)}`).toThrow(refusal(`${name} must be a positive number, got ${String(value)}`));
      }
    }
    expect(() => resolve({ history: { maxEvents: 0 } })).toThrow(refusal("history.maxEvents must be a positive number, got 0"));
    expect(() => resolve({ history: { maxAgeMs: -5 } })).toThrow(refusal("history.maxAgeMs must be a positive number, got -5"));
    for (const name of Object.keys(defaultLimits)) {
      expect(() => resolve({ limits: { [name]: 0 } })).toThrow(refusal(`limits.${name} must be a positive number, got 0`));
    }
    expect(() => resolve({ limits: { maxConnections: undefined } })).toThrow(refusal("limits.maxConnections must be a positive number, got undefined"));
  });

  it("takes maxStreamMs from 0 to the longest timer, and refuses anything else", () => {
    const longest = 2 ** 31 - 1;
    expect(resolve({ maxStreamMs: 0 }).maxStreamMs).toBe(0);
    expect(resolve({ maxStreamMs: longest }).maxStreamMs).toBe(longest);
    for (const value of [-1, longest + 1, Number.NaN, "60000"]) {
      expect(() => resolve({ maxStreamMs: value })).toThrow(
        refusal(`maxStreamMs must be 0 (streams live until closed) or a number of ms up to ${longest}, got ${String(value)}`),
      );
    }
  });

  it("refuses a sessionKey that is not a field name of its own", () => {
    for (const value of ["", "id", "event", 7]) {
      expect(() => resolve({ sessionKey: value })).toThrow(refusal(`sessionKey must be a field name other than "id" and "event", got ${JSON.stringify(value)}`));
    }
    expect(resolve({ sessionKey: "ids" }).sessionKey).toBe("ids");
  });

  it("refuses an authorize that is neither a boolean nor a function", () => {
    for (const value of ["yes", 1, {}]) {
      expect(() => resolve({ authorize: value })).toThrow(refusal("authorize must be true, false or a function (request) => boolean | grant"));
    }
  });
});

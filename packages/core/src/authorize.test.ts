import { describe, expect, it } from "vitest";
import { checkGrant, originAllowed, Refusal } from "./authorize.js";

// What authorize may answer and how a refusal reads on each transport
// (docs/protocol.md#sessions-scopes-and-authorization, docs/protocol.md#refusal-and-close-codes).
const declared = new Map([["tenant", "orgId"]]);

describe("checkGrant", () => {
  it("reads true as everything, false as 401, and a grant as sets", () => {
    expect(checkGrant(true, declared, 1_000)).toEqual({ sessions: undefined, scopes: new Map(), subject: undefined, principal: undefined, expiresAt: undefined });
    const refused = checkGrant(false, declared, 1_000) as Refusal;
    expect([refused.status, refused.code, refused.message]).toEqual([401, "unauthenticated", "authorization is required to open this stream"]);
    const principal = { user: "u1" };
    expect(checkGrant({ sessions: ["A", "B", "A"], scopes: { tenant: ["acme"] }, subject: "u1", principal, expiresAt: 1_001 }, declared, 1_000)).toEqual({
      sessions: new Set(["A", "B"]),
      scopes: new Map([["tenant", new Set(["acme"])]]),
      subject: "u1",
      principal,
      expiresAt: 1_001,
    });
  });

  it("refuses a grant that ends now or earlier with 401 expired, not one that ends later", () => {
    for (const expiresAt of [999, 1_000]) {
      const refused = checkGrant({ expiresAt }, declared, 1_000) as Refusal;
      expect([refused instanceof Refusal, refused.status, refused.code, refused.message]).toEqual([true, 401, "expired", "the credentials have expired; refresh them and reconnect"]);
    }
    expect(checkGrant({ expiresAt: 1_001 }, declared, 1_000)).toMatchObject({ expiresAt: 1_001 });
  });

  it.each([
    [null, "authorize must answer true, false or a grant { sessions?, scopes?, subject?, principal?, expiresAt? }, got null"],
    ["yes", "authorize must answer true, false or a grant { sessions?, scopes?, subject?, principal?, expiresAt? }, got string"],
    [[{ sessions: ["A"] }], "authorize must answer true, false or a grant { sessions?, scopes?, subject?, principal?, expiresAt? }, got object"],
    [{ sessions: "A" }, "authorize: a grant's sessions must be a list of strings"],
    [{ sessions: ["A", 1] }, "authorize: a grant's sessions must be a list of strings"],
    [{ subject: 7 }, "authorize: a grant's subject must be a string"],
    [{ expiresAt: Number.NaN }, "authorize: a grant's expiresAt must be a time in epoch milliseconds"],
    [{ expiresAt: "2030-01-01" }, "authorize: a grant's expiresAt must be a time in epoch milliseconds"],
    [{ scopes: { region: ["eu"] } }, 'authorize: scope "region" is not declared in createHub({ scopes }) (declared: tenant)'],
  ])("throws a TypeError for %j", (answer, message) => {
    expect(() => checkGrant(answer, declared, 1_000)).toThrow(new TypeError(message));
  });
});

describe("Refusal", () => {
  it("is recognised by its brand, and null, undefined or a primitive is no refusal", () => {
    expect([null, undefined, 7, "Refusal", {}].map((value) => value instanceof Refusal)).toEqual([false, false, false, false, false]);
    expect(new Refusal(403, "forbidden", "no") instanceof Refusal).toBe(true);
  });

  it("closes a WebSocket with the code of its status", () => {
    const statuses = [400, 401, 403, 405, 500, 503] as const;
    expect(statuses.map((status) => new Refusal(status, "c", "m").closeCode)).toEqual([4400, 4401, 4403, 4400, 1011, 1013]);
  });

  it("answers SSE with JSON, Allow on a 405 and a jittered Retry-After on a 503", () => {
    expect(new Refusal(403, "forbidden", "no").headers(1_000)).toEqual({ "content-type": "application/json; charset=utf-8" });
    expect(new Refusal(405, "method_not_allowed", "no").headers(1_000)).toEqual({ "content-type": "application/json; charset=utf-8", allow: "GET, OPTIONS" });
    // retryMs × [1, 2), in whole seconds rounded up: 1,500 ms gives 2 or 3.
    const retries = new Set(Array.from({ length: 200 }, () => new Refusal(503, "overloaded", "later").headers(1_500)["retry-after"]));
    expect([...retries].sort()).toEqual(["2", "3"]);
    expect(new Refusal(403, "forbidden", 'no "x"').body).toBe('{"error":"forbidden","message":"no \\"x\\""}');
  });

  it("writes a handshake refusal as a complete HTTP response, with Allow on a 405", () => {
    const body = '{"error":"method_not_allowed","message":"é"}';
    expect(new Refusal(405, "method_not_allowed", "é").handshakeResponse()).toBe(
      `HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nAllow: GET, OPTIONS\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    const refused = '{"error":"unauthenticated","message":"no"}';
    expect(new Refusal(401, "unauthenticated", "no").handshakeResponse()).toBe(
      `HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${refused.length}\r\n\r\n${refused}`,
    );
  });

  it("gives a close reason of at most 123 bytes: code and message, else the code alone", () => {
    const at = "m".repeat(123 - "forbidden: ".length);
    expect(new Refusal(403, "forbidden", at).reason).toBe(`forbidden: ${at}`);
    expect(new Refusal(403, "forbidden", `${at}m`).reason).toBe("forbidden");
    // Bytes, not characters: a two-byte letter counts twice.
    expect(new Refusal(403, "forbidden", `${at.slice(1)}é`).reason).toBe("forbidden");
  });
});

describe("originAllowed", () => {
  it("lets through requests without an Origin or to a hub without allowedOrigins, and only a listed origin otherwise", () => {
    const allowed = new Set(["https://app.example.com"]);
    expect([
      originAllowed(undefined, "https://evil.example.com"),
      originAllowed(allowed, undefined),
      originAllowed(allowed, "https://app.example.com"),
      originAllowed(allowed, "https://evil.example.com"),
      originAllowed(allowed, ["https://app.example.com"]),
    ]).toEqual([true, true, true, false, false]);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeValue, encodeValue } from "../src/message-codec.js";

// Names and sessions travel in NATS headers: whatever string a publisher gives must come back the
// same, in a value a header may hold (printable ASCII, no line breaks).
describe("the NATS message headers' value codec", () => {
  const anyString = fc.oneof(
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) }), // any UTF-16 code units, lone surrogates included
    fc.string({ unit: "grapheme" }),
    fc.string(),
  );

  it("gives back every string as it was, in printable ASCII", () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const encoded = encodeValue(value);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeValue(encoded)).toBe(value);
      }),
      { numRuns: 2_000 },
    );
  });

  it("carries a lone surrogate, which percent-encoding refuses", () => {
    // Regression: publishing an event whose name held one threw URIError from encodeURIComponent.
    for (const value of ["\ud800", "a\udfffb", "\u{1f389}\ud83c", " leading"]) expect(decodeValue(encodeValue(value))).toBe(value);
    expect(encodeValue("plain.name")).toBe("plain.name");
  });
});

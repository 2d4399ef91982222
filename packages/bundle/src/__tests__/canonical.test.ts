import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalManifest, type Manifest } from "../index";

describe("canonicalJson (RFC 8785 vectors)", () => {
  it("serialises numbers as ECMAScript does (RFC 8785 §3.2.2.3)", () => {
    // eslint-disable-next-line no-loss-of-precision
    const input = { numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001] };
    expect(canonicalJson(input).toString()).toBe('{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}');
  });

  it("escapes strings minimally (RFC 8785 §3.2.2.2)", () => {
    const input = { string: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/" };
    expect(canonicalJson(input).toString()).toBe('{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it("writes literals as-is", () => {
    expect(canonicalJson({ literals: [null, true, false] }).toString()).toBe('{"literals":[null,true,false]}');
  });

  it("sorts properties by UTF-16 code units (RFC 8785 §3.2.3)", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    expect(canonicalJson(input).toString()).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("produces the RFC's UTF-8 bytes for the sorting example", () => {
    const out = canonicalJson({ "\u20ac": 1, "\r": 2 });
    expect(out.toString("hex")).toBe(Buffer.from('{"\\r":2,"€":1}', "utf8").toString("hex"));
  });

  it("refuses values JSON cannot represent", () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});

describe("canonicalManifest", () => {
  const base: Manifest = {
    format: 1,
    bundle_id: "b1",
    schema_version: "1.0.0",
    created_at: "2026-11-26T08:00:00Z",
    archive: { path: "bundle-b1.tar.gz", size: 10, sha256: "a".repeat(64) },
    files: [{ path: "memories.db", size: 3, sha256: "b".repeat(64) }],
  };

  it("leaves out signatures entirely", () => {
    const signed = { ...base, signatures: [{ keyid: "0".repeat(16), alg: "ed25519" as const, sig: "AAAA" }] };
    expect(canonicalManifest(signed)).toEqual(canonicalManifest(base));
    expect(canonicalManifest(signed).toString()).not.toContain("signatures");
  });

  it("does not depend on property order", () => {
    const reordered = JSON.parse(
      JSON.stringify({ files: base.files, archive: base.archive, created_at: base.created_at, schema_version: "1.0.0", bundle_id: "b1", format: 1 }),
    ) as Manifest;
    expect(canonicalManifest(reordered)).toEqual(canonicalManifest(base));
    expect(canonicalManifest(base).toString().startsWith('{"archive":{"path":')).toBe(true);
  });
});

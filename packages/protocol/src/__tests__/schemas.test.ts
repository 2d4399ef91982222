import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ErrorBody,
  Health,
  MEMORY_KINDS,
  QUERY_LIMITS,
  QueryIntent,
  ResponseEnvelope,
  isOperational,
  parseQueryIntent,
} from "../index";

const validIntent = fc.record(
  {
    text: fc.string({ minLength: 1, maxLength: QUERY_LIMITS.textMax }),
    kinds: fc.uniqueArray(fc.constantFrom(...MEMORY_KINDS), { minLength: 1 }),
    entities: fc.array(fc.string({ minLength: 1, maxLength: 50 }), { maxLength: QUERY_LIMITS.entitiesMax }),
    since: fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
    until: fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
    limit: fc.integer({ min: 1, max: 100 }),
    budget_ms: fc.integer({ min: 1, max: 5000 }),
  },
  { requiredKeys: ["text"] },
);

describe("QueryIntent", () => {
  it("accepts every valid intent and round-trips it through JSON unchanged", () => {
    fc.assert(
      fc.property(validIntent, (intent) => {
        const wire = JSON.parse(JSON.stringify(intent));
        const r = parseQueryIntent(wire);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.value).toEqual(intent);
      }),
      { numRuns: 300 },
    );
  });

  const invalid: [string, fc.Arbitrary<unknown>, string][] = [
    ["text", fc.constant(""), "text"],
    ["text", fc.string({ minLength: 2001, maxLength: 2100 }), "text"],
    ["text", fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)), "text"],
    ["limit", fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 101 }), fc.double({ min: 1.01, max: 99.9, noInteger: true })), "limit"],
    ["budget_ms", fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 5001 })), "budget_ms"],
    ["kinds", fc.constant(["memo"]), "kinds"],
    ["entities", fc.array(fc.string({ minLength: 1 }), { minLength: 33, maxLength: 40 }), "entities"],
    ["since", fc.constantFrom("yesterday", "2026-13-01", "12:00"), "since"],
  ];
  for (const [field, arb, expectedPath] of invalid) {
    it(`rejects a bad ${field} with an issue naming "${expectedPath}"`, () => {
      fc.assert(
        fc.property(arb, (bad) => {
          const body = { text: "deploy", [field]: bad };
          const r = parseQueryIntent(body);
          expect(r.ok).toBe(false);
          if (!r.ok) {
            expect(r.issues.some((i) => i.path[0] === expectedPath)).toBe(true);
            expect(r.message).toContain(expectedPath);
          }
        }),
        { numRuns: 50 },
      );
    });
  }

  it("rejects unknown fields, naming them", () => {
    const r = parseQueryIntent({ text: "x", kind: "fact" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain("kind");
  });

  it("rejects non-object bodies without throwing", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.anything())), (body) => {
        expect(parseQueryIntent(body).ok).toBe(false);
      }),
    );
  });

  it("accepts plain dates as well as date-times for since/until", () => {
    expect(QueryIntent.safeParse({ text: "x", since: "2026-01-01", until: "2026-02-01T00:00:00+02:00" }).success).toBe(true);
  });
});

describe("Health, ResponseEnvelope, ErrorBody", () => {
  const health: Health = {
    protocol: 1, ready: false, compatibility: "unknown", bundle_id: null, schema_version: null,
    supported_schema: "^1.0.0", pid: 42, uptime_s: 1.5,
  };

  it("parses a health body and tells operational states apart", () => {
    expect(Health.parse(health)).toEqual(health);
    expect(isOperational(health)).toBe(true);
    expect(isOperational({ ...health, compatibility: "incompatible", error: { code: "incompatible_bundle", sub_code: "corrupt", message: "x" } })).toBe(false);
    expect(isOperational({ ...health, ready: true, compatibility: "compatible", bundle_id: "b1", schema_version: "1.0.0" })).toBe(true);
  });

  it("rejects a health body of another protocol version", () => {
    expect(Health.safeParse({ ...health, protocol: 2 }).success).toBe(false);
  });

  it("parses envelopes and error bodies", () => {
    const env = {
      source: "sidecar", bundle_id: "b1", took_ms: 0.4, truncated: false, evidence_quality: "indexed",
      results: [{ id: "m1", text: "t", kind: "fact", entities: ["a"], created_at: "2026-01-01T00:00:00Z", score: 1.2 }],
    };
    expect(ResponseEnvelope.parse(env)).toEqual(env);
    expect(ResponseEnvelope.safeParse({ ...env, source: "cache" }).success).toBe(false);
    expect(ErrorBody.parse({ error: { code: "bad_request", message: "m", issues: [] } }).error.code).toBe("bad_request");
    expect(ErrorBody.safeParse({ code: "x" }).success).toBe(false);
  });
});

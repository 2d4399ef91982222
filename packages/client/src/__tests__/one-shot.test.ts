import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ResponseEnvelope } from "@recall/protocol";
import { fcParams } from "@recall/test-utils";
import { envelopeProblem, parseHttpResponse } from "../lite";

// Seeded from FC_SEED; a failure names the seed to replay with.
const params = fcParams({ numRuns: 300 });

function chunked(body: Buffer, cuts: number[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts.map((x) => x % (body.length + 1)).sort((a, b) => a - b), body.length]) {
    if (c <= at) continue;
    const piece = body.subarray(at, c);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n"));
    at = c;
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

describe("parseHttpResponse", () => {
  it("reads status and body whatever the framing and wherever the bytes are split", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 599 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom("length", "chunked", "eof"),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.nat(),
        (status, bytes, framing, cuts, split) => {
          const body = Buffer.from(bytes);
          const head =
            framing === "length" ? `content-length: ${body.length}\r\n` : framing === "chunked" ? "transfer-encoding: chunked\r\n" : "";
          const wire = Buffer.concat([Buffer.from(`HTTP/1.1 ${status} X\r\nx-a: b\r\n${head}\r\n`), framing === "chunked" ? chunked(body, cuts) : body]);
          const at = split % (wire.length + 1);
          const early = parseHttpResponse(wire.subarray(0, at), false);
          if (at < wire.length) expect(early.state === "incomplete" || (framing !== "eof" && early.state === "done")).toBe(true);
          const r = parseHttpResponse(wire, framing === "eof");
          expect(r).toEqual({ state: "done", status, body });
        },
      ),
      params,
    );
  });

  it("never throws on arbitrary bytes, and a truncated answer at EOF is an HPE error, never done", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, eof) => {
        const r = parseHttpResponse(Buffer.from(bytes), eof);
        if (r.state === "error") expect(r.code).toMatch(/^HPE_/);
      }),
      params,
    );
    const cut = Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345");
    expect(parseHttpResponse(cut, true)).toMatchObject({ state: "error", code: "HPE_INVALID_EOF_STATE" });
    expect(parseHttpResponse(Buffer.alloc(70 * 1024, 65), false)).toMatchObject({ state: "error", code: "HPE_HEADER_OVERFLOW" });
  });
});

describe("envelopeProblem", () => {
  const good = {
    source: "sidecar",
    bundle_id: "b",
    took_ms: 0.5,
    truncated: false,
    evidence_quality: "indexed",
    results: [{ id: "m", text: "t", kind: "fact", entities: ["e"], created_at: "2026-01-01", score: 1 }],
  };
  const value = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.string(),
    fc.double(),
    fc.boolean(),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.constant(-1),
    fc.constantFrom("lexical", "hybrid", "indexed"),
    fc.record({ lexical_rank: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.double(), fc.string()), vector_rank: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] }),
    fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 2 }),
    fc.array(fc.oneof(fc.record({ word: fc.oneof(fc.string(), fc.integer()), to: fc.oneof(fc.string(), fc.constant(null)) }, { requiredKeys: [] }),
      fc.constant(null), fc.string()), { maxLength: 2 }),
    fc.array(fc.oneof(fc.record({ word: fc.oneof(fc.string(), fc.integer()), with: fc.oneof(fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 2 }), fc.string()) },
      { requiredKeys: [] }), fc.constant(null)), { maxLength: 2 }),
  );
  const keys = ["source", "bundle_id", "took_ms", "truncated", "evidence_quality", "fallback_reason", "retrieval", "vector_skipped_reason",
    "corrections", "expansions", "warnings", "results"];
  const rkeys = ["id", "text", "kind", "entities", "created_at", "source_ref", "score", "matched"];

  it("agrees with the protocol's zod schema on mutated envelopes", () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), value, fc.constantFrom(...rkeys), value, fc.boolean(), (k, v, rk, rv, inner) => {
        const e = structuredClone(good) as Record<string, unknown>;
        if (inner) (e.results as Record<string, unknown>[])[0]![rk] = rv;
        else e[k] = v;
        const json = JSON.parse(JSON.stringify(e)) as unknown;
        expect(envelopeProblem(json) === null).toBe(ResponseEnvelope.safeParse(json).success);
      }),
      params,
    );
    expect(envelopeProblem(good)).toBeNull();
  });
});

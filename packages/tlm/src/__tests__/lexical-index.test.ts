import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fcParams } from "@recall/test-utils";
import {
  type DocTerms, contribution, decodeChampions, decodeDocTerms, docTermsInChunk, docTermsInto, encodeChampions, encodeDocChunk, encodeDocTerms, forEachDocTerm, idf,
} from "../lexical-index";
import { QueryScorer, selectRank, sortByBound } from "../lexical-search";

/** Runs a property with the suite's seed (test-utils: FC_SEED replays a failure, FUZZ_RUNS/soak scale the runs). */
const check = <T,>(prop: fc.IProperty<T>, numRuns = 300): void => fc.assert(prop, fcParams({ numRuns }));

describe("selectRank", () => {
  it("is the value a full sort puts at that rank, for any input (duplicates, flat, sorted)", () => {
    check(fc.property(fc.array(fc.oneof(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constantFrom(0, 1, 1, 2)), { minLength: 1, maxLength: 300 }),
      fc.nat(), (xs, r) => {
        const rank = r % xs.length;
        const sorted = [...xs].sort((a, b) => a - b);
        expect(selectRank(Float64Array.from(xs), rank) === sorted[rank]).toBe(true); // === : -0 and 0 rank alike
      }));
  });
});

describe("sortByBound", () => {
  it("orders candidate slots exactly as a comparator sort would: bound descending, then row id ascending (ties, flat, sorted inputs)", () => {
    const bound = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.constantFrom(0, 1, 1, 2, 2.5));
    check(fc.property(fc.array(fc.tuple(bound, fc.nat({ max: 50 })), { maxLength: 400 }), fc.boolean(), (cands, presorted) => {
      if (presorted) cands.sort((a, b) => b[0] - a[0]);
      const upper = Float64Array.from(cands, (c) => c[0]);
      const rowids = Uint32Array.from(cands, (c) => c[1]);
      const order = Uint32Array.from(cands.keys());
      sortByBound(order, upper, rowids);
      const want = [...cands.keys()].sort((a, b) => upper[b]! - upper[a]! || rowids[a]! - rowids[b]!);
      expect([...order].map((i) => [upper[i], rowids[i]])).toEqual(want.map((i) => [upper[i], rowids[i]]));
      expect([...order].sort((a, b) => a - b)).toEqual([...cands.keys()]);
    }));
  });
});

describe("codecs", () => {
  it("champion lists round-trip; a blob of the wrong size is an empty list", () => {
    check(fc.property(fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })), { maxLength: 100 }), (pairs) => {
      const blob = encodeChampions(pairs.map((p) => p[0]), pairs.map((p) => p[1]), pairs.length);
      const back = decodeChampions(blob);
      expect([...back.rowids]).toEqual(pairs.map((p) => p[0]));
      expect([...back.wtfs]).toEqual(pairs.map((p) => p[1]));
    }));
    expect(decodeChampions(Buffer.alloc(7)).rowids.length).toBe(0);
  });

  it("memory terms round-trip through a chunk, and truncated or foreign bytes never throw", () => {
    check(fc.property(fc.array(fc.option(fc.record({
      length: fc.nat({ max: 1e6 }),
      terms: fc.uniqueArray(fc.nat({ max: 2 ** 31 }), { maxLength: 30 }),
      f: fc.nat({ max: 70_000 }),
    }), { nil: undefined }), { minLength: 1, maxLength: 50 }), fc.nat(), (docs, cut) => {
      const blobs = docs.map((d) => {
        if (!d) return undefined;
        const ids = [...d.terms].sort((a, b) => a - b);
        return encodeDocTerms(d.length, ids, ids.map((_, i) => d.f + i + 1), 0, ids.length);
      });
      const chunk = encodeDocChunk(blobs);
      // One reused target, as the ranking reads them: a memory read after another must not keep any of its fields.
      const into: DocTerms = { length: 0, bytes: Buffer.alloc(0), from: 0, to: 0 };
      docs.forEach((d, i) => {
        const got = docTermsInChunk(chunk, i);
        expect(docTermsInto(chunk, i, into)).toBe(got !== undefined);
        if (got) expect(into).toEqual(got);
        if (!d || d.terms.length === 0) {
          if (got) expect(got.to - got.from).toBe(0);
          return;
        }
        expect(got?.length).toBe(d.length);
        const seen: [number, number][] = [];
        forEachDocTerm(got!, (id, f) => seen.push([id, f]));
        const ids = [...d.terms].sort((a, b) => a - b);
        expect(seen).toEqual(ids.map((id, j) => [id, d.f + j + 1]));
      });
      const truncated = chunk.subarray(0, cut % (chunk.length + 1));
      for (let i = 0; i < docs.length; i++) expect(() => docTermsInChunk(truncated, i)).not.toThrow();
      expect(() => forEachDocTerm(decodeDocTerms(Buffer.from([0x85, 0x81])), () => undefined)).not.toThrow();
    }), 200);
  });
});

describe("QueryScorer", () => {
  it("sums each phrase's contribution in phrase order, duplicates counted twice, absent tokens nothing", () => {
    const avgdl = 17.5;
    const terms = [
      { id: 9, df: 3, idf: idf(100, 3), champions: { rowids: new Uint32Array(), wtfs: new Uint32Array() } },
      undefined,
      { id: 2, df: 60, idf: idf(100, 60), champions: { rowids: new Uint32Array(), wtfs: new Uint32Array() } },
      { id: 9, df: 3, idf: idf(100, 3), champions: { rowids: new Uint32Array(), wtfs: new Uint32Array() } },
      { id: 4, df: 1, idf: idf(100, 1), champions: { rowids: new Uint32Array(), wtfs: new Uint32Array() } },
    ];
    const doc = decodeDocTerms(encodeDocTerms(12, [2, 7, 9], [3, 1, 2], 0, 3));
    const expected = contribution(terms[0]!.idf, 2, 12, avgdl) + contribution(terms[2]!.idf, 3, 12, avgdl) + contribution(terms[3]!.idf, 2, 12, avgdl);
    expect(new QueryScorer(terms, avgdl).score(doc)).toBe(expected);
    expect(new QueryScorer(terms, avgdl).score(undefined)).toBe(0);
    expect(idf(100, 60)).toBe(1e-6);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LEXICAL_WEIGHT, RRF_K, fuseRankings, fuseScores } from "../fusion";

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const params = { seed, numRuns: 300, reporter: (r: { failed: boolean }) => { if (r.failed) throw new Error(`fusion property failed; FC_SEED=${seed}`); } };
const ranking = fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 40 });

describe("fuseRankings (reciprocal rank fusion)", () => {
  it("scores 1/(k+rank) per list and keeps each list's 1-based rank", () => {
    const out = fuseRankings(["a", "b", "c"], ["c", "d"]);
    expect(out.map((f) => f.key)).toEqual(["c", "a", "b", "d"]);
    expect(out[0]).toEqual({ key: "c", score: 1 / (RRF_K + 3) + 1 / (RRF_K + 1), lexicalRank: 3, vectorRank: 1 });
    expect(out[3]).toEqual({ key: "d", score: 1 / (RRF_K + 2), vectorRank: 2 });
  });

  it("is the union of both lists, sorted by score, ties in lexical-then-vector order, duplicates counted once", () => {
    fc.assert(fc.property(ranking, ranking, (lex, vec) => {
      const out = fuseRankings(lex, vec);
      expect(new Set(out.map((f) => f.key))).toEqual(new Set([...lex, ...vec]));
      for (let i = 1; i < out.length; i++) expect(out[i - 1]!.score).toBeGreaterThanOrEqual(out[i]!.score);
      for (const f of out) {
        expect(f.lexicalRank === undefined ? undefined : lex[f.lexicalRank - 1]).toBe(f.lexicalRank === undefined ? undefined : f.key);
        expect(f.vectorRank === undefined ? undefined : vec[f.vectorRank - 1]).toBe(f.vectorRank === undefined ? undefined : f.key);
      }
    }), params);
  });

  it("with one list empty, keeps the other's order exactly (a bundle without vectors ranks as before)", () => {
    fc.assert(fc.property(ranking, (lex) => {
      expect(fuseRankings(lex, []).map((f) => f.key)).toEqual(lex);
      expect(fuseRankings([], lex).map((f) => f.key)).toEqual(lex);
    }), params);
  });

  it("a key first in both lists is first", () => {
    fc.assert(fc.property(ranking, ranking, fc.integer({ min: 100, max: 200 }), (lex, vec, top) => {
      expect(fuseRankings([top, ...lex], [top, ...vec])[0]!.key).toBe(top);
    }), params);
  });
});

const scoredList = fc.uniqueArray(fc.record({ key: fc.integer({ min: 0, max: 60 }), score: fc.double({ min: 0, max: 50, noNaN: true }) }), { selector: (s) => s.key, maxLength: 40 })
  .map((l) => [...l].sort((a, b) => b.score - a.score));

describe("fuseScores (weighted CombSUM of scaled scores)", () => {
  it("weighs bm25 by the list's best and similarities min-max", () => {
    const out = fuseScores([{ key: "a", score: 10 }, { key: "b", score: 5 }], [{ key: "b", score: 0.9 }, { key: "c", score: 0.5 }]);
    const w = LEXICAL_WEIGHT;
    expect(out.map((f) => f.key)).toEqual(w * 0.5 + (1 - w) > w ? ["b", "a", "c"] : ["a", "b", "c"]);
    expect(out.find((f) => f.key === "b")).toEqual({ key: "b", score: w * 0.5 + (1 - w), lexicalRank: 2, vectorRank: 1 });
    expect(out.find((f) => f.key === "c")).toEqual({ key: "c", score: 0, vectorRank: 2 });
  });

  it("is the union, sorted, ranks point back into each list, scores within [0, 1]", () => {
    fc.assert(fc.property(scoredList, scoredList, (lex, vec) => {
      const out = fuseScores(lex, vec);
      expect(new Set(out.map((f) => f.key))).toEqual(new Set([...lex, ...vec].map((s) => s.key)));
      for (let i = 1; i < out.length; i++) expect(out[i - 1]!.score).toBeGreaterThanOrEqual(out[i]!.score);
      for (const f of out) {
        expect(f.score).toBeGreaterThanOrEqual(0);
        expect(f.score).toBeLessThanOrEqual(1 + 1e-9);
        if (f.lexicalRank !== undefined) expect(lex[f.lexicalRank - 1]!.key).toBe(f.key);
        if (f.vectorRank !== undefined) expect(vec[f.vectorRank - 1]!.key).toBe(f.key);
      }
    }), params);
  });

  it("with no vector list, keeps the lexical order (a bundle without vectors ranks as before)", () => {
    fc.assert(fc.property(scoredList, (lex) => {
      expect(fuseScores(lex, []).map((f) => f.key)).toEqual(lex.map((s) => s.key));
    }), params);
  });
});

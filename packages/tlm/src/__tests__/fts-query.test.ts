import { describe, expect, it } from "vitest";
import fc from "fast-check";
import Database from "better-sqlite3";
import { MAX_QUERY_TERMS, planMatch, toMatchExpression, tokenize } from "../fts-query";

describe("tokenize", () => {
  it("splits on non-word characters, lower-cases, de-duplicates and drops stop words", () => {
    expect(tokenize("How do we rotate the JWT signing-key? JWT!")).toEqual(["rotate", "jwt", "signing", "key"]);
  });
  it("keeps stop words when nothing else is left", () => {
    expect(tokenize("what is the")).toEqual(["what", "is", "the"]);
  });
  it("handles Unicode words and caps the term count", () => {
    expect(tokenize("Café über 東京")).toEqual(["café", "über", "東京"]);
    expect(tokenize(Array.from({ length: 50 }, (_, i) => `w${i}`).join(" ")).length).toBe(MAX_QUERY_TERMS);
  });
});

describe("toMatchExpression", () => {
  it("quotes every word and joins with OR", () => {
    expect(toMatchExpression('NEAR(a "b") OR *c')).toBe('"near" OR "b" OR "c"');
  });
  it("is null when no word is left", () => {
    expect(toMatchExpression("?!- ...")).toBeNull();
  });
  it("never yields FTS syntax: any text is a valid MATCH on a real FTS5 table", () => {
    const db = new Database(":memory:");
    db.exec("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='porter unicode61'); INSERT INTO t VALUES ('hello world')");
    const stmt = db.prepare("SELECT count(*) AS n FROM t WHERE t MATCH ?");
    try {
      fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom('"', "a OR", "NEAR(", "col:x", "^a", "a*", "-b", "AND")), (text) => {
        const m = toMatchExpression(text);
        if (m === null) return;
        expect(m).toMatch(/^"[\p{L}\p{N}]+"( OR "[\p{L}\p{N}]+")*$/u);
        expect(() => stmt.get(m)).not.toThrow();
      }), { numRuns: 500 });
    } finally {
      db.close();
    }
  });
});

describe("planMatch", () => {
  const df = (t: string) => ({ common: 5000, usual: 3000, rare: 12, odd: 40 } as Record<string, number>)[t] ?? 0;
  it("is the plain OR without document frequencies or on small corpora", () => {
    expect(planMatch("common rare")).toEqual(['"common" OR "rare"']);
    expect(planMatch("common rare", df, 400)).toEqual(['"common" OR "rare"']);
  });
  it("drops common words when rarer ones are present", () => {
    expect(planMatch("common rare odd", df, 100_000)).toEqual(['"rare" OR "odd"']);
  });
  it("tries AND before OR when every word is common", () => {
    expect(planMatch("common usual", df, 100_000)).toEqual(['"common" AND "usual"', '"common" OR "usual"']);
    expect(planMatch("common", df, 100_000)).toEqual(['"common"']);
    expect(planMatch("...", df, 100_000)).toEqual([]);
  });
});

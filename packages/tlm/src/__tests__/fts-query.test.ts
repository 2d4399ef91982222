import { describe, expect, it } from "vitest";
import fc from "fast-check";
import Database from "better-sqlite3";
import { MAX_QUERY_TERMS, toMatchExpression, tokenize } from "../fts-query";

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

import fc from "fast-check";
import { fcParams } from "@recall/test-utils";
import { afterAll, describe, expect, it } from "vitest";
import { QueryTokenizer } from "../lexical-reader";

// A reference with no cache at all: what every call must return, whatever came before it.
const reference = new QueryTokenizer(1);
afterAll(() => reference.close());
const fresh = (words: readonly string[]): (readonly string[])[] => {
  const out: (readonly string[])[] = [];
  for (const w of words) out.push(reference.tokensOf([w])[0]!);
  return out;
};

const word = fc.constantFrom("deploy", "deploys", "deployed", "queue", "queues", "cache", "caching", "db", "node", "nodes", "ingest", "x1", "état", "running", "runs");

describe("QueryTokenizer", () => {
  it("a query mixing cached and new words when the cache is full gets every word's tokens (was: undefined for the cached ones)", () => {
    const t = new QueryTokenizer(3);
    try {
      expect(t.tokensOf(["deploy", "queue"])).toEqual([["deploi"], ["queue"]]);
      // 2 cached + 2 new > 3: the cache starts over; "deploy" and "queue" must still come back (porter stems).
      expect(t.tokensOf(["deploy", "cache", "queue", "ingest"])).toEqual([["deploi"], ["cach"], ["queue"], ["ingest"]]);
    } finally {
      t.close();
    }
  });

  it("at the default size too: with 9 999 words cached, a query of a cached word and two new ones still has every token", () => {
    const t = new QueryTokenizer();
    try {
      for (let i = 0; i < 9_999; i += 32) t.tokensOf(Array.from({ length: Math.min(32, 9_999 - i) }, (_, j) => `w${i + j}x`));
      const q = ["w9998x", "deploy", "queue"];
      const got = t.tokensOf(q);
      expect(got).toEqual(fresh(q));
      expect(got.every((tokens) => Array.isArray(tokens) && tokens.length === 1)).toBe(true);
    } finally {
      t.close();
    }
  });

  it("any sequence of queries, with any cache size, returns what an uncached tokenizer returns", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.array(word, { minLength: 1, maxLength: 9 }), { minLength: 1, maxLength: 25 }), (size, queries) => {
        const t = new QueryTokenizer(size);
        try {
          for (const q of queries) expect(t.tokensOf(q)).toEqual(fresh(q));
        } finally {
          t.close();
        }
      }),
      fcParams({ numRuns: 60 }),
    );
  });
});

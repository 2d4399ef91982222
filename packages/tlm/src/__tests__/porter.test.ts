import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import fc from "fast-check";
import { fcParams } from "@recall/test-utils";
import { afterAll, describe, expect, it } from "vitest";
import { assetPath } from "../assets";
import { loadWordVectors } from "../embed/word-vectors";
import { QueryTokenizer } from "../lexical-reader";
import { PORTER_ASCII, porterStem } from "../porter";
import { THESAURUS_FILE } from "../thesaurus";

// The truth: FTS5's own `porter unicode61` tokenizer (what the index holds), on a table of its own.
const db = new Database(":memory:");
db.exec(`CREATE VIRTUAL TABLE words USING fts5(w, tokenize='porter unicode61');
  CREATE VIRTUAL TABLE temp.word_tokens USING fts5vocab(main, words, instance);`);
const insert = db.prepare("INSERT INTO words (rowid, w) VALUES (?, ?)");
const read = db.prepare("SELECT doc, term FROM temp.word_tokens ORDER BY doc, offset").raw();
afterAll(() => db.close());

/** FTS5's tokens of each word. */
function fts5(words: readonly string[]): string[][] {
  const out = words.map((): string[] => []);
  for (let at = 0; at < words.length; at += 1000) {
    db.transaction(() => {
      words.slice(at, at + 1000).forEach((w, i) => insert.run(i + 1, w));
      for (const [doc, term] of read.all() as [number, string][]) out[at + doc - 1]!.push(term);
      db.exec("DELETE FROM words");
    })();
  }
  return out;
}

/** Words of `list` on which porterStem and FTS5 disagree (each as "word: fts5 → ours"). */
function disagreements(list: readonly string[]): string[] {
  const words = [...new Set(list)].filter((w) => PORTER_ASCII.test(w));
  const want = fts5(words);
  return words.flatMap((w, i) => (want[i]!.length === 1 && want[i]![0] === porterStem(w) ? [] : [`${w}: ${want[i]!.join(" ")} → ${porterStem(w)}`]));
}

const SUFFIXES = ["s", "es", "ies", "sses", "ss", "ed", "eed", "ing", "ational", "tional", "enci", "anci", "izer", "logi", "bli", "alli",
  "entli", "eli", "ousli", "ization", "ation", "ator", "alism", "iveness", "fulness", "ousness", "aliti", "iviti", "biliti", "icate", "ative",
  "alize", "iciti", "ical", "ful", "ness", "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "sion",
  "tion", "ou", "ism", "ate", "iti", "ous", "ive", "ize", "e", "ll", "y", "at", "bl", "iz"];

describe("porterStem: FTS5's porter stemmer for lower-case ASCII words", () => {
  it("gives FTS5's token for every word of the shipped word table (60 000 English words), the thesaurus and the examples corpus", () => {
    const table = [...loadWordVectors().index.keys()];
    expect(table.length).toBeGreaterThan(50_000);
    const thesaurus = readFileSync(assetPath(THESAURUS_FILE), "utf8").toLowerCase().match(/[a-z0-9]+/g) ?? [];
    const corpus = readFileSync(fileURLToPath(new URL("../../../../examples/memories.jsonl", import.meta.url)), "utf8").toLowerCase().match(/[a-z0-9]+/g) ?? [];
    expect(disagreements([...table, ...thesaurus, ...corpus])).toEqual([]);
  });

  it("at the edges: under 3 and over 64 characters pass through, digits count as consonants, one-letter remains", () => {
    const edges = ["a", "ab", "abs", "aed", "aing", "ies", "sses", "ss", "xes", "yyy", "eed", "ing", "ed", "y", "ay", "oy", "1st", "2nd", "x86",
      "k8s", "ipv6", "h264", "s3", "ec2", "ed25519", "sha256", "1000s", "404s", "agreed", "feed", "bled", "sized", "hopping", "falling",
      "hissing", "fizzed", "failing", "filing", "happy", "sky", "a".repeat(63) + "s", "a".repeat(64) + "s", "b".repeat(64), "ing".repeat(22),
      "generalizations", "oscillators", "electricalness", "conditional", "rational", "valency", "hesitancy", "digitizer", "conformabli",
      "radicalli", "differentli", "vileli", "analogousli", "vietnamization", "predication", "operator", "feudalism", "decisiveness",
      "hopefulness", "callousness", "formaliti", "sensitiviti", "sensibiliti", "triplicate", "formative", "formalize", "electriciti",
      "electrical", "hopeful", "goodness", "revival", "allowance", "inference", "airliner", "gyroscopic", "adjustable", "defensible",
      "irritant", "replacement", "adjustment", "dependent", "adoption", "homologou", "communism", "activate", "angulariti", "homologous",
      "effective", "bowdlerize", "probate", "rate", "cease", "controll", "roll"];
    expect(disagreements(edges)).toEqual([]);
    expect(porterStem("ab")).toBe("ab");
    expect(porterStem("b".repeat(65))).toBe("b".repeat(65));
  });

  it("property: any string of ASCII letters and digits, often ending in an English suffix, stems as FTS5 stems it", () => {
    const stem = fc.stringMatching(/^[a-z0-9]{0,12}$/);
    const word = fc.tuple(stem, fc.option(fc.constantFrom(...SUFFIXES), { nil: "" }), fc.option(fc.constantFrom(...SUFFIXES), { nil: "" }))
      .map(([s, a, b]) => `${s}${a}${b}`).filter((w) => w.length > 0);
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 200 }), (words) => {
      expect(disagreements(words)).toEqual([]);
    }), fcParams({ numRuns: 200 }));
  });

  it("QueryTokenizer: ASCII words stemmed here, the rest by FTS5, in one call, each as FTS5 tokenizes it", () => {
    const t = new QueryTokenizer();
    try {
      const words = ["deploys", "état", "naïve", "running", "e-mail", "数据库", "k8s", "Caching", "ünïcode", "x"];
      expect(t.tokensOf(words)).toEqual(fts5(words));
      // Again, from the cache.
      expect(t.tokensOf(words)).toEqual(fts5(words));
    } finally {
      t.close();
    }
  });
});

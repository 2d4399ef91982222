import { afterAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { fcParams } from "@recall/test-utils";
import { assetPath } from "../assets";
import { FUNCTION_WORDS } from "../function-words";
import { words as splitWords } from "../fts-query";
import { QueryTokenizer } from "../lexical-reader";
import { MAX_EXPANSION_WORDS, MAX_PHRASE_WORDS, THESAURUS_FILE, Thesaurus, shippedThesaurus, warmShippedThesaurus } from "../thesaurus";

// The real stemmer (FTS5's porter unicode61 on an in-memory table), as the engine stems.
const tokenizer = new QueryTokenizer();
afterAll(() => tokenizer.close());
const stem = (ws: readonly string[]) => tokenizer.tokensOf(ws);
const stems = (ws: readonly string[]) => stem(ws).map((t) => t.join(" "));
const expand = (t: Thesaurus, text: string, max?: number) => {
  const ws = splitWords(text);
  return t.expand(ws, stems(ws), max);
};

const SMALL = `# comment line
email | e-mail | mail
approve | sign off | review
schema change | migration | ddl
on-call | on call | pager
lonely
bad | we!rd | fine
far too many words here | short
perf | performance
`;

describe("Thesaurus", () => {
  // First in this file: the shipped list is parsed once per process.
  it("warmShippedThesaurus parses and stems the shipped list a chunk at a time, letting the event loop run between chunks", async () => {
    const chunks: number[] = [];
    let turns = 0;
    let spinning = true;
    const spin = () => { if (spinning) { turns++; setImmediate(spin); } };
    setImmediate(spin);
    const t = await warmShippedThesaurus((ws) => { chunks.push(ws.length); return stem(ws); }, 256);
    spinning = false;
    expect(t).not.toBeNull();
    // Every word is stemmed once, in chunks of at most 256, with a turn of the event loop after each chunk of lines and of words.
    const lines = readFileSync(assetPath(THESAURUS_FILE), "utf8").split("\n").length;
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.every((n) => n <= 256)).toBe(true);
    expect(turns).toBeGreaterThanOrEqual(chunks.length + Math.ceil(lines / 256) - 2);
    expect(shippedThesaurus(stem)).toBe(t);
    expect(await warmShippedThesaurus(stem)).toBe(t);
    // The same thesaurus as one synchronous parse.
    const whole = new Thesaurus(readFileSync(assetPath(THESAURUS_FILE), "utf8"), stem);
    expect(t!.size).toBe(whole.size);
    for (const q of ["who signs off on database migrations", "transactional mail provider", "on call rota", "perf regression after deploy"]) {
      expect(expand(t!, q)).toEqual(expand(whole, q));
    }
  });

  it("Thesaurus.build gives what the constructor gives, for any chunk size", async () => {
    const turn = () => Promise.resolve();
    const whole = new Thesaurus(SMALL, stem);
    for (const chunk of [1, 2, 3, 7, 1000]) {
      const built = await Thesaurus.build(SMALL, stem, turn, chunk);
      expect(built.size).toBe(whole.size);
      for (const q of ["send an email", "sign off the schema change", "on call perf", "mail migration review"]) expect(expand(built, q)).toEqual(expand(whole, q));
    }
  });

  it("parses groups, skipping comments, malformed members and groups left with one member", () => {
    const t = new Thesaurus(SMALL, stem);
    // "lonely" has no partner; "we!rd" and the five-word member are dropped, leaving "bad | fine" and nothing for "short".
    expect(t.size).toBe(6);
    expect(expand(t, "bad")).toEqual([{ word: "bad", with: ["fine"] }]);
    expect(expand(t, "short")).toEqual([]);
  });

  it("matches on stems, phrases before words, and never adds a word whose stem the query holds", () => {
    const t = new Thesaurus(SMALL, stem);
    expect(expand(t, "mails bounced")).toEqual([{ word: "mails", with: ["email"] }]);
    expect(expand(t, "who approves schema changes")).toEqual([
      { word: "schema changes", with: ["migration", "ddl"] },
      { word: "approves", with: ["sign", "review"] },
    ]);
    // "approval" stems as "approve" does: only the rest of the group is added, once.
    expect(expand(t, "review approval")).toEqual([{ word: "review", with: ["sign"] }]);
    // The words of a phrase found are not looked up again on their own; a member the query holds is not added.
    expect(expand(t, "the on call rota")).toEqual([{ word: "on call", with: ["pager"] }]);
    expect(expand(t, "on call pager")).toEqual([]);
  });

  it("a text repeating its phrases expands as if each were written once", () => {
    const t = new Thesaurus(SMALL, stem);
    expect(expand(t, "the on call rota ".repeat(200))).toEqual(expand(t, "the on call rota"));
    expect(expand(t, "mail perf ".repeat(300))).toEqual([{ word: "mail", with: ["email"] }, { word: "perf", with: ["performance"] }]);
  });

  it("never looks up a lone function word, and adds no function word", () => {
    const t = new Thesaurus("on | upon | atop\nlog in | sign in | login\n", stem);
    expect(expand(t, "on")).toEqual([]);
    expect(expand(t, "log in")).toEqual([{ word: "log in", with: ["sign", "login"] }]);
  });

  it("property: every added word is a content word of a group one of the query's phrases belongs to, new, and within the cap", () => {
    const t = new Thesaurus(SMALL, stem);
    const groups = SMALL.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split("|").map((m) => m.trim()));
    const vocabulary = [...new Set([...groups.flat().flatMap((m) => splitWords(m)), "billing", "the", "of", "rollout"])];
    fc.assert(fc.property(fc.array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 20 }), (ws, max) => {
      const out = t.expand(ws, stems(ws), max);
      const added = out.flatMap((e) => e.with);
      expect(added.length).toBeLessThanOrEqual(max);
      expect(new Set(stems(added)).size).toBe(added.length);
      const held = new Set(stems(ws));
      for (const e of out) {
        const phrase = splitWords(e.word);
        expect(phrase.length).toBeLessThanOrEqual(MAX_PHRASE_WORDS);
        // The phrase is a run of the query's words.
        expect(` ${ws.join(" ")} `).toContain(` ${e.word} `);
        const key = stems(phrase).join(" ");
        const mine = groups.filter((g) => g.some((m) => stems(splitWords(m)).join(" ") === key));
        expect(mine.length).toBeGreaterThan(0);
        for (const w of e.with) {
          expect(FUNCTION_WORDS.has(w)).toBe(false);
          expect(held.has(stems([w])[0]!)).toBe(false);
          expect(mine.some((g) => g.some((m) => splitWords(m).includes(w)))).toBe(true);
        }
      }
    }), fcParams({ numRuns: 300 }));
  });

  it("the shipped list parses: hundreds of groups, every member within the phrase limit, and a query expands within the cap", () => {
    const text = readFileSync(assetPath(THESAURUS_FILE), "utf8");
    const t = shippedThesaurus(stem);
    expect(t).not.toBeNull();
    expect(t!.size).toBeGreaterThan(200);
    const lines = text.split("\n").filter((l) => l.trim() && !l.startsWith("#"));
    for (const l of lines) for (const m of l.split("|")) expect(splitWords(m).length, l).toBeLessThanOrEqual(MAX_PHRASE_WORDS);
    const all = lines.flatMap((l) => l.split("|").map((m) => m.trim())).join(" ");
    expect(expand(t!, all).flatMap((e) => e.with).length).toBeLessThanOrEqual(MAX_EXPANSION_WORDS);
  });
});

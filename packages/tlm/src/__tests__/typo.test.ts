import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import Database from "better-sqlite3";
import { fcParams } from "@recall/test-utils";
import { knownWords, wordLookupFromLines } from "../embed/word-vectors";
import { MemoryDatabase } from "../query-engine";
import { writeMemoriesDb } from "../memories-db";
import type { MemoryRecord } from "../records";
import { TYPO_MAX_LENGTH, TYPO_MIN_LENGTH, TypoCorrector, deletions, editDistance } from "../typo";

/** Optimal string alignment distance, the textbook full matrix (no cut-off), in code points. */
function osa(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

const nothingKnown = () => ({ has: () => false });
const letter = fc.constantFrom(..."abcdeéü");
const word = (min: number, max: number) => fc.array(letter, { minLength: min, maxLength: max }).map((cs) => cs.join(""));

describe("typo parts", () => {
  it("deletions: the word and each one-letter deletion, de-duplicated, by code point", () => {
    expect(deletions("abc")).toEqual(["abc", "bc", "ac", "ab"]);
    expect(deletions("aab")).toEqual(["aab", "ab", "aa"]);
    expect(deletions("ü")).toEqual(["ü", ""]);
  });

  it("editDistance equals the full optimal-string-alignment matrix, cut at max + 1", () => {
    fc.assert(fc.property(word(0, 7), word(0, 7), fc.integer({ min: 0, max: 3 }), (a, b, max) => {
      expect(editDistance(a, b, max)).toBe(Math.min(osa(a, b), max + 1));
      expect(editDistance(b, a, max)).toBe(editDistance(a, b, max));
    }), fcParams({ numRuns: 400 }));
  });

  it("wordLookupFromLines holds exactly the non-empty lines, whatever the bytes", () => {
    fc.assert(fc.property(fc.array(fc.oneof(word(0, 6), fc.string({ maxLength: 6 })), { maxLength: 60 }), fc.string({ maxLength: 6 }), (lines, probe) => {
      const clean = lines.map((l) => l.replace(/\n/g, ""));
      const set = wordLookupFromLines(Buffer.from(clean.join("\n"), "utf8"));
      const want = new Set(clean.filter((l) => l.length > 0));
      expect(set.size).toBe(want.size);
      for (const w of want) expect(set.has(w)).toBe(true);
      expect(set.has(probe)).toBe(probe.length > 0 && !probe.includes("\n") && want.has(probe));
    }), fcParams({ numRuns: 300 }));
  });

  it("knownWords reads the shipped table's 60 000 words (real words, not typos)", () => {
    const known = knownWords();
    expect(known.size).toBe(60_000);
    for (const w of ["stale", "clock", "looking", "notifications", "deploy"]) expect(known.has(w), w).toBe(true);
    for (const w of ["deply", "upgarde", "terrafrom", "notifcations", "scheam"]) expect(known.has(w), w).toBe(false);
  });
});

describe("typo correction over a built database", () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), "tlm-typo-")); });
  afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  const record = (id: string, text: string): MemoryRecord => ({ id, text, kind: "fact", entities: [], created_at: "2026-01-01T00:00:00Z" });
  const open = (path: string): MemoryDatabase => {
    const o = MemoryDatabase.open(path);
    if (!o.ok) throw new Error(o.message);
    return o.db;
  };

  it("any word one edit from a corpus word gets the corpus word at distance one that most memories hold (ties: first in order)", async () => {
    let n = 0;
    const edit = fc.record({ op: fc.constantFrom("insert", "delete", "substitute", "swap"), at: fc.nat(), ch: letter });
    await fc.assert(fc.asyncProperty(fc.array(fc.array(word(3, 8), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }), fc.nat(), edit,
      async (texts, pick, e) => {
        const path = join(dir, `p${n++}.db`);
        writeMemoriesDb(path, texts.map((t, i) => record(`m${i}`, t.join(" "))), { bundleId: "t", schemaVersion: "1.0.0" });
        const raw = new Database(path, { readonly: true });
        try {
          const vocab = raw.prepare("SELECT term, df FROM term_df").all() as { term: string; df: number }[];
          const source = vocab[pick % vocab.length]!.term;
          const cs = [...source];
          const at = e.at % (cs.length + 1);
          if (e.op === "insert") cs.splice(at, 0, e.ch);
          else if (e.op === "delete") cs.splice(Math.min(at, cs.length - 1), 1);
          else if (e.op === "substitute") cs[Math.min(at, cs.length - 1)] = e.ch;
          else if (cs.length > 1) { const i = Math.min(at, cs.length - 2); [cs[i], cs[i + 1]] = [cs[i + 1]!, cs[i]!]; }
          const typo = cs.join("");
          const got = new TypoCorrector(raw, nothingKnown).correct(typo);
          const eligible = (w: string) => [...w].length >= TYPO_MIN_LENGTH && [...w].length <= TYPO_MAX_LENGTH;
          const near = vocab.filter((v) => v.term !== typo && [...v.term].length >= TYPO_MIN_LENGTH - 1 && osa(typo, v.term) <= 1)
            .sort((a, b) => b.df - a.df || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
          expect(got, `${source} → ${typo}`).toBe(eligible(typo) ? near[0]?.term : undefined);
        } finally {
          raw.close();
          await rm(path, { force: true });
        }
      }), fcParams({ numRuns: 80 }));
  });

  it("queries: a typo is searched as the corpus word and the answer says so; real words, short words, digits and old bundles are left alone", async () => {
    const path = join(dir, "q.db");
    writeMemoriesDb(path, [
      record("deploy", "Deploy billing on Tuesdays with blue-green deploys"), record("state", "Terraform state lives in S3"),
      record("notify", "Push notifications go through Firebase"), record("v2", "release v2 uses http2 everywhere"),
    ], { bundleId: "q", schemaVersion: "1.0.0" });
    const db = open(path);
    try {
      expect(db.warmTypos()).toBe(true);
      const q = (text: string) => db.query({ text, limit: 5 });
      expect(q("deply billing")).toMatchObject({ corrections: [{ word: "deply", to: "deploy" }] });
      expect(q("deply billing").results.map((r) => r.id)).toEqual(["deploy"]);
      expect(q("notifcations").results.map((r) => r.id)).toEqual(["notify"]);
      expect(q("terrafrom stale")).toMatchObject({ corrections: [{ word: "terrafrom", to: "terraform" }] });
      expect(q("stale").corrections).toBeUndefined();
      expect(q("stat").corrections).toBeUndefined();
      expect(q("http3").corrections).toBeUndefined();
      // A correction that repeats another query word is one word.
      expect(db.lexicalCandidates({ text: "deploy deplyo" }).corrections).toEqual([{ word: "deplyo", to: "deploy" }]);
      expect(db.lexicalCandidates({ text: "deply" }, { correct: false })).toEqual({ ranked: [], truncated: false, exact: true });
    } finally {
      db.retire();
    }
    const old = join(dir, "old.db");
    await copyFile(path, old);
    const w = new Database(old);
    w.exec("DROP TABLE lex_typos");
    w.close();
    const before = open(old);
    try {
      expect(before.warmTypos()).toBe(false);
      expect(before.query({ text: "deply billing" }).corrections).toBeUndefined();
    } finally {
      before.retire();
    }
  });

  it("the typo index stays bounded: each word under itself and its deletions, nothing shorter than four letters", async () => {
    const path = join(dir, "size.db");
    const words = ["kubernetes", "terraform", "deploy", "cat", "a1b2c3", "postgres"];
    writeMemoriesDb(path, words.map((w, i) => record(`m${i}`, w)), { bundleId: "s", schemaVersion: "1.0.0" });
    const raw = new Database(path, { readonly: true });
    try {
      const rows = raw.prepare("SELECT del, word FROM lex_typos ORDER BY word, del").all() as { del: string; word: string }[];
      const indexed = [...new Set(rows.map((r) => r.word))].sort();
      expect(indexed).toEqual(["deploy", "kubernetes", "postgres", "terraform"]);
      for (const w of indexed) expect(rows.filter((r) => r.word === w).map((r) => r.del).sort()).toEqual(deletions(w).sort());
    } finally {
      raw.close();
    }
  });
});

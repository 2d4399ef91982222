import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { QueryIntent } from "@recall/protocol";
import { type LexicalCandidates, MemoryDatabase } from "../query-engine";
import { close, ftsReference, sameRanking } from "./fts-reference";
import { writeMemoriesDb } from "../memories-db";
import { DEFAULT_ZIPF_S, corpusVocabulary, generateCorpus, seededRandom, zipfSampler } from "../corpus";

// 20 000 Zipf memories (s = 1.07: the top words are in most of them) and every query kind at its worst.
const N = 20_000;
let dir: string;
let path: string;
let db: MemoryDatabase;
let raw: Database.Database;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tlm-cost-"));
  path = join(dir, "memories.db");
  writeMemoriesDb(path, generateCorpus(N, 1), { bundleId: "cost", schemaVersion: "1.0.0" });
  const o = MemoryDatabase.open(path);
  if (!o.ok) throw new Error(o.message);
  db = o.db;
  raw = new Database(path, { readonly: true });
}, 180_000);
afterAll(() => {
  db?.retire();
  raw?.close();
  rmSync(dir, { recursive: true, force: true });
});

const vocab = corpusVocabulary(1);
const rand = seededRandom(7);
const zipf = zipfSampler(vocab.length, DEFAULT_ZIPF_S, rand);
const distinct = (n: number, draw: () => string) => { const s = new Set<string>(); while (s.size < n) s.add(draw()); return [...s].join(" "); };
const KINDS: Record<string, () => string> = {
  "single most common word": () => vocab[0]!,
  "four common words": () => distinct(4, () => vocab[Math.floor(rand() * 12)]!),
  "32 common words": () => vocab.slice(0, 32).join(" "),
  "32 Zipf words": () => distinct(32, () => vocab[zipf()]!),
  "rare words": () => distinct(3, () => vocab[5000 + Math.floor(rand() * 10_000)]!),
};

const reference = (intent: QueryIntent, got?: Pick<LexicalCandidates, "corrections" | "expansions">) => ftsReference(raw, N)(intent, got);

describe(`bounded cost at ${N} memories`, () => {
  for (const [kind, text] of Object.entries(KINDS)) {
    for (const filters of [{}, { kinds: ["decision" as const] }, { entities: ["alice"] }, { since: "2026-06-01", until: "2026-06-30" }]) {
      it(`${kind} ${JSON.stringify(filters)}: finishes far inside the margin with exact scores`, () => {
        const intent: QueryIntent = { text: text(), limit: 100, ...filters };
        const rss0 = process.memoryUsage().rss;
        const t0 = performance.now();
        const got = db.lexicalCandidates(intent);
        const ms = performance.now() - t0;
        // Cost guard with a wide margin (the engine needs a few ms; FTS5's full ranking of these takes 100s of ms).
        expect(ms).toBeLessThan(2000);
        expect(process.memoryUsage().rss - rss0).toBeLessThan(300 * 1024 * 1024);
        expect(got.truncated).toBe(false);
        const truth = reference(intent, got);
        const all = new Map(reference({ ...intent, limit: N }, got).map((r) => [r.rowid, r.score]));
        if (got.exact && !got.expansions) {
          expect(got.ranked).toEqual(truth);
        } else if (got.exact) {
          sameRanking(got.ranked, truth, all);
        } else {
          // Every answer is a true match with its exact score, in FTS5's order.
          for (const r of got.ranked) expect(got.expansions ? close(r.score, all.get(r.rowid)!) : r.score === all.get(r.rowid)).toBe(true);
          for (let i = 1; i < got.ranked.length; i++) expect(got.ranked[i - 1]!.score).toBeGreaterThanOrEqual(got.ranked[i]!.score);
          expect(got.ranked.length).toBe(Math.min(100, truth.length));
        }
      });
    }
  }

  it("honours the deadline inside the ranking: 32 common words, a clock that passes it mid-way", () => {
    const text = vocab.slice(0, 32).join(" ");
    const full = db.lexicalCandidates({ text, limit: 100 });
    let calls = 0;
    let t = 0;
    const clock = { now: () => { calls++; return (t += 1); } };
    const cut = db.lexicalCandidates({ text, limit: 100 }, { deadline: 2.5, clock });
    expect(cut.truncated).toBe(true);
    expect(cut.exact).toBe(false);
    expect(calls).toBeLessThan(10);
    const scores = new Map(full.ranked.map((r) => [r.rowid, r.score]));
    for (const r of cut.ranked) if (scores.has(r.rowid)) expect(r.score).toBe(scores.get(r.rowid));
    // A budget that has already passed returns at once, truncated and empty.
    expect(db.lexicalCandidates({ text, limit: 100 }, { deadline: -1 })).toEqual({ ranked: [], truncated: true, exact: false });
  });

  it("answers hostile text as plain words: FTS5 syntax is data, never a query", () => {
    for (const text of ['"', 'NEAR(a b)', "a OR b AND NOT c", "col:x", "^a*", "-b", "\u0000\u0085", "x".repeat(2000), "()\"\"''*"]) {
      const got = db.lexicalCandidates({ text, limit: 5 });
      expect(got.truncated).toBe(false);
      for (const r of got.ranked) expect(r.score).toBeGreaterThan(0);
    }
  });
});

import type Database from "better-sqlite3";
import { expect } from "vitest";
import type { QueryIntent } from "@recall/protocol";
import type { LexicalCandidates } from "../query-engine";
import { MAX_QUERY_TERMS, tokenize, words } from "../fts-query";
import { filterSql } from "../filters";
import { TypoCorrector } from "../typo";
import { EXPANSION_WEIGHT } from "../thesaurus";

export interface Ranked { rowid: number; score: number }

/**
 * FTS5's own answer over `raw` (a memories.db of `count` memories), the reference the bounded engine is checked
 * against: bm25 over every match, filters in SQL; the engine's corrections (if any) applied to the words first (a split
 * compound is two words), and the joined compounds (typo.ts, tested there) searched beside them. The thesaurus's words
 * the engine added (`expansions`, thesaurus.ts) count their bm25 at full weight when the corpus holds none of the words
 * they expand, else at EXPANSION_WEIGHT.
 */
export function ftsReference(raw: Database.Database, count: number) {
  return (intent: QueryIntent, got: Pick<LexicalCandidates, "corrections" | "expansions"> = {}): Ranked[] => {
    const fixed = new Map((got.corrections ?? []).map((c) => [c.word, c.to]));
    const fix = (w: string) => (fixed.get(w) ?? w).split(" ");
    const joins = new TypoCorrector(raw).joins(words(intent.text).flatMap(fix));
    const searched = [...new Set([...tokenize(intent.text).flatMap(fix), ...joins])].slice(0, MAX_QUERY_TERMS);
    const f = filterSql(intent);
    const sql = `SELECT m.rowid AS rowid, -bm25(memories_fts, 1, 2) AS score FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid
      WHERE memories_fts MATCH @match ${f.conditions.map((c) => `AND ${c}`).join(" ")} ORDER BY bm25(memories_fts, 1, 2), m.rowid LIMIT @limit`;
    const scores = (ws: readonly string[], limit: number) => raw.prepare(sql).all({ ...f.params, match: ws.map((w) => `"${w}"`).join(" OR "), limit }) as Ranked[];
    if (!got.expansions?.length) return scores(searched, intent.limit ?? 10);
    const total = new Map(scores(searched, count).map((r) => [r.rowid, r.score]));
    const held = (w: string) => raw.prepare("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?").pluck().get(`"${w}"`) !== 0;
    for (const e of got.expansions) {
      const weight = words(e.word).some(held) ? EXPANSION_WEIGHT : 1;
      for (const r of scores(e.with, count)) total.set(r.rowid, (total.get(r.rowid) ?? 0) + weight * r.score);
    }
    return [...total].map(([rowid, score]) => ({ rowid, score })).sort((a, b) => b.score - a.score || a.rowid - b.rowid).slice(0, intent.limit ?? 10);
  };
}

/** Equal up to float rounding: an expansion's weight is applied to its idf in the engine, to its bm25 here. */
export const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** `got` is `truth` up to float rounding: the same scores rank by rank, each memory with its true score (`all`). */
export function sameRanking(got: readonly Ranked[], truth: readonly Ranked[], all: ReadonlyMap<number, number>): void {
  expect(got.length).toBe(truth.length);
  got.forEach((r, i) => {
    expect(close(r.score, truth[i]!.score), `rank ${i}: ${r.score} vs ${truth[i]!.score}`).toBe(true);
    expect(close(r.score, all.get(r.rowid) ?? Number.NaN), `rowid ${r.rowid}`).toBe(true);
  });
}

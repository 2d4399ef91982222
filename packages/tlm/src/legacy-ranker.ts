import type Database from "better-sqlite3";
import type { QueryIntent } from "@recall/protocol";
import { planMatch } from "./fts-query";
import { filterSql } from "./filters";
import { BM25_WEIGHTS } from "./lexical-index";
import type { ScoredRow } from "./lexical-search";

/**
 * Ranking straight through FTS5 `bm25()`, for bundles built before the
 * lexical index existed (and for the rare word FTS5 splits into several
 * tokens, a phrase): the plan of {@link planMatch}, filters in SQL, the
 * deadline checked while stepping rows. FTS5 ranks every match before the
 * first row, so on big corpora of common words this is not bounded.
 */
export class LegacyRanker {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly df: ((term: string) => number) | undefined;

  constructor(private readonly db: Database.Database, private readonly count: number) {
    const hasDf = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'term_df'").get() !== undefined;
    const stmt = hasDf ? db.prepare("SELECT df FROM term_df WHERE term = ?").pluck() : null;
    this.df = stmt ? (t) => (stmt.get(t) as number | undefined) ?? 0 : undefined;
  }

  private statement(key: string, conditions: string[]): Database.Statement {
    let stmt = this.statements.get(key);
    if (stmt) return stmt;
    const bm25 = `bm25(memories_fts, ${BM25_WEIGHTS[0]}, ${BM25_WEIGHTS[1]})`;
    stmt = this.db.prepare(conditions.length === 0
      ? `SELECT rowid AS rowid, -${bm25} AS score FROM memories_fts WHERE memories_fts MATCH @match ORDER BY ${bm25}, rowid LIMIT @limit`
      : `SELECT m.rowid AS rowid, -${bm25} AS score FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid
          WHERE memories_fts MATCH @match AND ${conditions.join(" AND ")} ORDER BY ${bm25}, m.rowid LIMIT @limit`);
    this.statements.set(key, stmt);
    return stmt;
  }

  /** Ranks an intent; rows stepped after `deadline` are cut (truncated). */
  rank(intent: QueryIntent, limit: number, deadline: number, now: () => number): { ranked: ScoredRow[]; truncated: boolean } {
    const plan = planMatch(intent.text, this.df, this.count);
    const filter = filterSql(intent);
    const stmt = this.statement(filter.key, filter.conditions);
    let out = { ranked: [] as ScoredRow[], truncated: false };
    for (const match of plan) {
      out = { ranked: [], truncated: false };
      const it = stmt.iterate({ ...filter.params, match, limit }) as IterableIterator<ScoredRow>;
      try {
        for (const row of it) {
          if (now() > deadline) { out.truncated = true; break; }
          out.ranked.push({ rowid: row.rowid, score: row.score });
        }
      } finally {
        it.return?.();
      }
      if (out.ranked.length > 0 || out.truncated) break;
    }
    return out;
  }
}

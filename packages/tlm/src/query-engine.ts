import Database from "better-sqlite3";
import type { MemoryResult, QueryIntent } from "@recall/protocol";
import { QUERY_LIMITS } from "@recall/protocol";
import { planMatch } from "./fts-query";

/** Injectable time source for deadlines (milliseconds, monotonic). */
export interface QueryClock { now(): number }

const realClock: QueryClock = { now: () => performance.now() };

/** What {@link MemoryDatabase.query} returns. */
export interface QueryOutcome { results: MemoryResult[]; truncated: boolean }

/** Column weights for bm25(text, entities): a word naming an entity counts double. */
export const BM25_WEIGHTS = [1.0, 2.0] as const;

/** Why a database cannot be served. */
export type OpenFailure = { ok: false; message: string; cause?: unknown };

interface Row { id: string; text: string; kind: string; entities: string; created_at: string; source_ref: string | null; score: number }

const DAY_MS = 86_400_000;

function boundMs(value: string, endOfDay: boolean): number {
  const ms = Date.parse(value);
  // A bare date as `until` covers that whole day.
  return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(value) ? ms + DAY_MS - 1 : ms;
}

/**
 * One read-only `memories.db` and its cached prepared statements. Reference
 * counted: {@link acquire} before a query, {@link release} after; {@link retire}
 * closes it once the last holder releases (reload swaps databases this way).
 */
export class MemoryDatabase {
  readonly path: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly count: number;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly dfStatement: Database.Statement | null;
  private refs = 0;
  private retired = false;
  private closed = false;

  private constructor(path: string, db: Database.Database, meta: Record<string, string>) {
    this.path = path;
    this.db = db;
    this.meta = Object.freeze(meta);
    this.count = Number(meta.count ?? 0);
    const hasDf = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'term_df'").get() !== undefined;
    this.dfStatement = hasDf ? db.prepare("SELECT df FROM term_df WHERE term = ?").pluck() : null;
  }

  /**
   * Opens `path` read-only and checks it is a memories database (meta table
   * with `schema_version`, the tables and FTS index readable, `PRAGMA
   * quick_check` ok when `integrityCheck`). Never throws: a corrupt or foreign
   * file is `{ok: false}`.
   */
  static open(path: string, opts: { integrityCheck?: boolean } = {}): { ok: true; db: MemoryDatabase } | OpenFailure {
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.pragma("query_only = ON");
      db.pragma("mmap_size = 1073741824");
      if (opts.integrityCheck) {
        const rows = db.pragma("quick_check(1)") as { quick_check: string }[];
        if (rows[0]?.quick_check !== "ok") throw new Error(`quick_check: ${rows[0]?.quick_check ?? "no answer"}`);
      }
      const meta: Record<string, string> = {};
      for (const r of db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]) meta[r.key] = r.value;
      if (typeof meta.schema_version !== "string") throw new Error("meta.schema_version is missing");
      db.prepare("SELECT rowid FROM memories_fts WHERE memories_fts MATCH '\"probe\"' LIMIT 1").all();
      db.prepare("SELECT entity FROM memory_entities LIMIT 1").all();
      db.prepare("SELECT id, text, kind, entities, created_at, created_ms, source_ref FROM memories LIMIT 1").all();
      return { ok: true, db: new MemoryDatabase(path, db, meta) };
    } catch (cause) {
      try { db?.close(); } catch { /* already unusable */ }
      return { ok: false, message: `not a readable memories database: ${(cause as Error).message}`, cause };
    }
  }

  /** Holds the database open for one query. */
  acquire(): void { this.refs++; }

  /** Ends a hold taken with {@link acquire}; closes a retired database when the last hold ends. */
  release(): void {
    this.refs--;
    if (this.retired && this.refs <= 0) this.close();
  }

  /** Marks the database replaced: it closes now if idle, else after its last in-flight query. */
  retire(): void {
    this.retired = true;
    if (this.refs <= 0) this.close();
  }

  /** True once the underlying connection is closed. */
  get isClosed(): boolean { return this.closed; }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }

  private statement(intent: QueryIntent): Database.Statement {
    // The SQL is built from fixed fragments keyed by which filters are present; user values are always bound.
    const key = `${intent.kinds ? "k" : ""}${intent.entities?.length ? "e" : ""}${intent.since ? "s" : ""}${intent.until ? "u" : ""}`;
    let stmt = this.statements.get(key);
    if (stmt) return stmt;
    const where = ["memories_fts MATCH @match"];
    if (intent.kinds) where.push("m.kind IN (SELECT value FROM json_each(@kinds))");
    if (intent.entities?.length) {
      where.push(
        "(SELECT count(*) FROM memory_entities e WHERE e.memory_rowid = m.rowid AND e.entity IN (SELECT value FROM json_each(@entities))) = @entityCount",
      );
    }
    if (intent.since) where.push("m.created_ms >= @since");
    if (intent.until) where.push("m.created_ms <= @until");
    // Rank row ids and scores first, then fetch the columns of the `limit` winners only:
    // the sorter never carries memory texts, and unfiltered queries never touch `memories` while ranking.
    const bm25 = `bm25(memories_fts, ${BM25_WEIGHTS[0]}, ${BM25_WEIGHTS[1]})`;
    const ranked = where.length === 1
      ? `SELECT rowid AS rid, -${bm25} AS score FROM memories_fts WHERE ${where[0]} ORDER BY ${bm25}, rowid LIMIT @limit`
      : `SELECT m.rowid AS rid, -${bm25} AS score FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid
          WHERE ${where.join(" AND ")} ORDER BY ${bm25}, m.rowid LIMIT @limit`;
    stmt = this.db.prepare(
      `SELECT m.id, m.text, m.kind, m.entities, m.created_at, m.source_ref, r.score
         FROM (${ranked}) r JOIN memories m ON m.rowid = r.rid
        ORDER BY r.score DESC, r.rid`,
    );
    this.statements.set(key, stmt);
    return stmt;
  }

  /**
   * Runs a validated intent. Results are ordered by relevance (`score` =
   * −bm25, higher is better). Filters: `kinds` (any of), `entities` (all of,
   * case-insensitive), `since`/`until` (inclusive, on `created_at`). When
   * `deadline` (a `clock.now()` value) passes while rows are being stepped,
   * the rows so far are returned with `truncated: true`.
   */
  query(intent: QueryIntent, deadline = Number.POSITIVE_INFINITY, clock: QueryClock = realClock): QueryOutcome {
    const dfStmt = this.dfStatement;
    const plan = planMatch(intent.text, dfStmt ? (t) => (dfStmt.get(t) as number | undefined) ?? 0 : undefined, this.count);
    if (plan.length === 0) return { results: [], truncated: false };
    const entities = intent.entities ? [...new Set(intent.entities.map((e) => e.toLowerCase()))] : undefined;
    const params: Record<string, unknown> = { match: plan[0], limit: intent.limit ?? QUERY_LIMITS.limitDefault };
    if (intent.kinds) params.kinds = JSON.stringify(intent.kinds);
    if (entities?.length) { params.entities = JSON.stringify(entities); params.entityCount = entities.length; }
    if (intent.since) params.since = boundMs(intent.since, false);
    if (intent.until) params.until = boundMs(intent.until, true);
    let outcome: QueryOutcome = { results: [], truncated: false };
    const stmt = this.statement(intent);
    for (const match of plan) {
      params.match = match;
      outcome = this.collect(stmt, params, deadline, clock);
      if (outcome.results.length > 0 || outcome.truncated) break;
    }
    return outcome;
  }

  private collect(stmt: Database.Statement, params: Record<string, unknown>, deadline: number, clock: QueryClock): QueryOutcome {
    const results: MemoryResult[] = [];
    let truncated = false;
    const it = stmt.iterate(params) as IterableIterator<Row>;
    try {
      for (const row of it) {
        if (clock.now() > deadline) { truncated = true; break; }
        results.push({
          id: row.id,
          text: row.text,
          kind: row.kind,
          entities: JSON.parse(row.entities) as string[],
          created_at: row.created_at,
          ...(row.source_ref === null ? {} : { source_ref: row.source_ref }),
          score: Math.round(row.score * 1e6) / 1e6,
        });
      }
    } finally {
      it.return?.();
    }
    return { results, truncated };
  }
}

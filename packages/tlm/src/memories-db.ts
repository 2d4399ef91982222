import Database from "better-sqlite3";
import type { MemoryRecord } from "./records";
import { SCHEMA_SQL } from "./schema";
import { CJK_SEGMENTER, segmentCjk, words } from "./fts-query";
import { type BuildStep, defaultBuildSteps } from "./build-steps";

/** What {@link writeMemoriesDb} stores in the `meta` table. */
export interface MemoriesDbMeta { bundleId: string; schemaVersion: string }

/** Normalises an ISO date or date-time to `YYYY-MM-DDTHH:MM:SS.sssZ` and its epoch ms. */
export function normaliseTime(iso: string): { iso: string; ms: number } {
  const ms = Date.parse(iso);
  return { iso: new Date(ms).toISOString(), ms };
}

/**
 * Writes a fresh `memories.db` at `path` (which must not exist): the schema,
 * every record, the FTS5 index (optimised; CJK runs indexed as characters and
 * pairs, `meta.lex_segmenter`), the `meta` table, then VACUUM.
 * `journal_mode=DELETE` so the result is one self-contained file.
 * Records are assumed valid (see `MemoryRecord`). `steps` (default
 * `defaultBuildSteps()`, build-steps.ts) run after the rows and FTS5 index.
 * Returns the row count.
 */
export function writeMemoriesDb(path: string, records: Iterable<MemoryRecord>, meta: MemoriesDbMeta,
  steps: readonly BuildStep[] = defaultBuildSteps()): number {
  const db = new Database(path);
  try {
    return fillMemoriesDb(db, records, meta, steps);
  } finally {
    db.close();
  }
}

/**
 * What {@link writeMemoriesDb} does, on a connection the caller owns and
 * closes: a file, or `:memory:` (the server derives the schema a build writes
 * that way, bundle-db-check.ts). Returns the row count.
 */
export function fillMemoriesDb(db: Database.Database, records: Iterable<MemoryRecord>, meta: MemoriesDbMeta,
  steps: readonly BuildStep[] = defaultBuildSteps()): number {
  db.pragma("journal_mode = DELETE");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -65536");
  db.exec(SCHEMA_SQL);
  const insert = db.prepare(
    "INSERT INTO memories (id, text, kind, entities, created_at, created_ms, source_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const insertEntity = db.prepare("INSERT OR IGNORE INTO memory_entities (entity, memory_rowid) VALUES (?, ?)");
  let count = 0;
  const df = new Map<string, number>();
  db.transaction(() => {
    for (const r of records) {
      const t = normaliseTime(r.created_at);
      const entities = r.entities ?? [];
      const info = insert.run(r.id, r.text, r.kind, JSON.stringify(entities), t.iso, t.ms, r.source_ref ?? null);
      for (const e of entities) insertEntity.run(e.toLowerCase(), info.lastInsertRowid);
      for (const w of new Set(words(segmentCjk(`${r.text} ${entities.join(" ")}`, "index")))) df.set(w, (df.get(w) ?? 0) + 1);
      count++;
    }
    db.exec("CREATE INDEX memories_created ON memories (created_ms)");
    // Not FTS5's 'rebuild' (which indexes the stored text as it is): the index gets the text with CJK runs split into
    // characters and pairs (fts-query.ts, recorded as meta.lex_segmenter); memories.text keeps what was written.
    db.function("tlm_segment", { deterministic: true }, (text: unknown) => segmentCjk(String(text), "index"));
    db.exec("INSERT INTO memories_fts (rowid, text, entities) SELECT rowid, tlm_segment(text), tlm_segment(entities) FROM memories");
    db.exec("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')");
    const insertDf = db.prepare("INSERT INTO term_df (term, df) VALUES (?, ?)");
    for (const [term, n] of df) insertDf.run(term, n);
    for (const step of steps) step(db, { count });
    const m = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
    m.run("schema_version", meta.schemaVersion);
    m.run("bundle_id", meta.bundleId);
    m.run("count", String(count));
    m.run("lex_segmenter", CJK_SEGMENTER);
  })();
  db.exec("VACUUM");
  return count;
}

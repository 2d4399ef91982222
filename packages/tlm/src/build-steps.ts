import type Database from "better-sqlite3";
import { buildLexicalIndex, type LexicalIndexOptions } from "./lexical-index-build";
import { buildTypoIndex } from "./typo";

/** What a {@link BuildStep} is told about the database being built. */
export interface BuildStepContext {
  /** Memories written. */
  count: number;
}

/**
 * One precomputation of `tlm bundle build`, run on the open `memories.db`
 * inside the build transaction after every row and the FTS5 index are
 * written (and before `meta` is completed and the file vacuumed). A step
 * writes only its own tables, which schema.ts declares.
 */
export type BuildStep = (db: Database.Database, ctx: BuildStepContext) => void;

/** Options of {@link defaultBuildSteps}. */
export interface BuildStepOptions { lexical?: LexicalIndexOptions }

/**
 * The steps every build runs, in order: the lexical index (champion lists and
 * per-memory terms, lexical-index-build.ts), then the typo index (typo.ts).
 * Further indexes (e.g. vectors) append their step here.
 */
export function defaultBuildSteps(opts: BuildStepOptions = {}): BuildStep[] {
  return [(db) => buildLexicalIndex(db, opts.lexical), (db) => buildTypoIndex(db)];
}

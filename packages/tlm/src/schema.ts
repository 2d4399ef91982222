import { VECTOR_SCHEMA_SQL } from "./vector-index";

/** Schema version written by this `tlm` into `meta.schema_version` and the manifest. */
export const SCHEMA_VERSION = "1.0.0";

/** Semver range of bundle schema versions this `tlm` can serve (reported as `supported_schema`). */
export const SUPPORTED_SCHEMA = "^1.0.0";

/** Name of the database file inside a bundle. */
export const MEMORIES_DB = "memories.db";

/**
 * DDL of `memories.db`. `memories_fts` is an external-content FTS5 index over
 * `memories.text` and `memories.entities` (a JSON array: its words are indexed),
 * `memory_entities` holds the lower-cased entities for exact filtering,
 * `term_df` the number of memories holding each (unstemmed, lower-cased) word
 * (read only for bundles without the lexical index). The `lex_*` tables are the
 * lexical index `tlm bundle build` precomputes so any query costs a bounded
 * amount (see lexical-index.ts): `lex_terms` one row per FTS5 token with its
 * document frequency, idf and champion list (the memories where it weighs most),
 * `lex_doc_chunks` each memory's tokens and weighted frequencies (exact
 * re-ranking; 65 536 memories a row, read into memory as queries touch them),
 * `lex_blobs` whole-index arrays (`doc_lengths`), `lex_typos` every corpus word
 * under itself and its one-letter deletions (typo.ts). Older bundles may lack them.
 */
export const SCHEMA_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE memories (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  text TEXT NOT NULL,
  kind TEXT NOT NULL,
  entities TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  source_ref TEXT
);
CREATE TABLE memory_entities (
  entity TEXT NOT NULL,
  memory_rowid INTEGER NOT NULL,
  PRIMARY KEY (entity, memory_rowid)
) WITHOUT ROWID;
CREATE TABLE term_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE lex_terms (
  token TEXT PRIMARY KEY,
  id INTEGER NOT NULL,
  df INTEGER NOT NULL,
  idf REAL NOT NULL,
  champions BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE lex_doc_chunks (chunk INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE lex_blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE lex_typos (del TEXT NOT NULL, word TEXT NOT NULL, PRIMARY KEY (del, word)) WITHOUT ROWID;
CREATE VIRTUAL TABLE memories_fts USING fts5(
  text, entities, content='memories', content_rowid='rowid', tokenize='porter unicode61'
);
` + VECTOR_SCHEMA_SQL;

import Database from "better-sqlite3";
import { type DocTerms, type LexicalStats, decodeChampions, decodeDocTerms } from "./lexical-index";
import type { LexicalIndexReader, LexicalTerm } from "./lexical-search";

/** Most query words whose FTS5 tokens a {@link QueryTokenizer} remembers. */
const TOKEN_CACHE_SIZE = 10_000;

/**
 * Turns query words into the tokens the index holds, with FTS5's own
 * tokenizer (`porter unicode61`, as schema.ts declares) run on a private
 * in-memory table: the same stemming as the index, by construction.
 */
export class QueryTokenizer {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly read: Database.Statement;
  private readonly clear: Database.Statement;
  private readonly cache = new Map<string, readonly string[]>();

  constructor() {
    this.db = new Database(":memory:");
    this.db.exec(`CREATE VIRTUAL TABLE words USING fts5(w, tokenize='porter unicode61');
      CREATE VIRTUAL TABLE temp.word_tokens USING fts5vocab(main, words, instance);`);
    this.insert = this.db.prepare("INSERT INTO words (rowid, w) VALUES (1, ?)");
    this.read = this.db.prepare("SELECT term FROM temp.word_tokens ORDER BY offset").pluck();
    this.clear = this.db.prepare("DELETE FROM words");
  }

  /** The FTS5 tokens of one word (usually exactly one). */
  tokens(word: string): readonly string[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    this.insert.run(word);
    const tokens = this.read.all() as string[];
    this.clear.run();
    if (this.cache.size >= TOKEN_CACHE_SIZE) this.cache.clear();
    this.cache.set(word, tokens);
    return tokens;
  }

  close(): void { this.db.close(); }
}

/** True when `db` holds a lexical index (bundles built before it have none). */
export function hasLexicalIndex(db: Database.Database): boolean {
  return db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('lex_terms', 'lex_docs', 'lex_blobs')")
    .pluck().get() === 3;
}

/**
 * The lexical index of an open `memories.db`, read lazily: the
 * `doc_lengths` array on first use, a token's row per query (its champion
 * list decoded), a memory's terms per exact score. Returns `null` when the
 * `meta` numbers it needs are missing or malformed.
 */
export function openLexicalReader(db: Database.Database, meta: Readonly<Record<string, string>>): LexicalIndexReader | null {
  const rows = Number(meta.lex_rows);
  const total = Number(meta.lex_total_tokens);
  const championSize = Number(meta.lex_champion_size);
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(total) || !Number.isSafeInteger(championSize) || rows < 0) return null;
  const stats: LexicalStats = { rows, avgdl: rows === 0 ? 1 : total / rows, championSize };
  const termStmt = db.prepare("SELECT id, df, idf, champions FROM lex_terms WHERE token = ?");
  const docStmt = db.prepare("SELECT terms FROM lex_docs WHERE rowid = ?").pluck();
  let lengths: Uint32Array | undefined;
  const docLengths = (): Uint32Array => {
    if (lengths) return lengths;
    const blob = db.prepare("SELECT data FROM lex_blobs WHERE name = 'doc_lengths'").pluck().get() as Buffer | undefined;
    const n = blob ? Math.floor(blob.length / 4) : 0;
    lengths = new Uint32Array(n);
    for (let i = 0; i < n; i++) lengths[i] = blob!.readUInt32LE(i * 4);
    return lengths;
  };
  return {
    stats,
    docLength: (rowid) => docLengths()[rowid] ?? 0,
    term(token): LexicalTerm | undefined {
      const r = termStmt.get(token) as { id: number; df: number; idf: number; champions: Buffer } | undefined;
      return r ? { id: r.id, df: r.df, idf: r.idf, champions: decodeChampions(r.champions) } : undefined;
    },
    docTerms(rowid): DocTerms | undefined {
      const blob = docStmt.get(rowid) as Buffer | undefined;
      return blob ? decodeDocTerms(blob) : undefined;
    },
  };
}

import Database from "better-sqlite3";
import { DOC_CHUNK_BITS, type LexicalStats, decodeChampions, docTermsInto } from "./lexical-index";
import { type LexicalIndexReader, type LexicalTerm, lexicalTerm } from "./lexical-search";
import { PORTER_ASCII, porterStem } from "./porter";

/** Most tokens whose decoded champion lists a reader keeps. */
const TERM_CACHE_SIZE = 4096;

/** Most query words whose FTS5 tokens a {@link QueryTokenizer} remembers. */
const TOKEN_CACHE_SIZE = 10_000;

/**
 * Turns query words into the tokens the index holds (`porter unicode61`, as
 * schema.ts declares): a lower-case ASCII word through porter.ts (FTS5's
 * stemmer, step for step: ≈ 25 times cheaper than a round trip through SQLite),
 * any other word through FTS5's own tokenizer run on a private in-memory
 * table. Either way the same tokens as the index.
 */
export class QueryTokenizer {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly read: Database.Statement;
  private readonly clear: Database.Statement;
  private readonly cache = new Map<string, readonly string[]>();
  private readonly cacheSize: number;

  /** `cacheSize`: most words remembered (tests use a small one). */
  constructor(cacheSize: number = TOKEN_CACHE_SIZE) {
    this.cacheSize = Math.max(1, cacheSize);
    this.db = new Database(":memory:");
    this.db.exec(`CREATE VIRTUAL TABLE words USING fts5(w, tokenize='porter unicode61');
      CREATE VIRTUAL TABLE temp.word_tokens USING fts5vocab(main, words, instance);`);
    this.insert = this.db.prepare("INSERT INTO words (rowid, w) VALUES (?, ?)");
    this.read = this.db.prepare("SELECT doc, term FROM temp.word_tokens ORDER BY doc, offset").raw();
    this.clear = this.db.prepare("DELETE FROM words");
  }

  /** The FTS5 tokens of each word (usually exactly one each), unknown words tokenized in one batch. */
  tokensOf(words: readonly string[]): (readonly string[])[] {
    const out: (readonly string[] | undefined)[] = words.map((w) => {
      const hit = this.cache.get(w);
      if (hit !== undefined) {
        // Least recently used goes first when full: a hit moves to the end (Map keeps insertion order).
        this.cache.delete(w);
        this.cache.set(w, hit);
      }
      return hit;
    });
    const missing = [...new Set(words.filter((_, i) => out[i] === undefined))];
    if (missing.length === 0) return out as (readonly string[])[];
    // Other scripts, diacritics, anything unicode61 may split or fold: FTS5 itself, all in one batch.
    const viaFts = missing.filter((w) => !PORTER_ASCII.test(w));
    const tokens = viaFts.length > 0 ? this.tokenize(viaFts) : [];
    const fresh = new Map<string, readonly string[]>();
    viaFts.forEach((w, i) => fresh.set(w, tokens[i]!));
    for (const w of missing) if (!fresh.has(w)) fresh.set(w, [porterStem(w)]);
    // This query's answer comes from `out` and `fresh`, never from the cache, so evicting below cannot lose a word of it.
    for (const [w, t] of fresh) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(w, t);
    }
    return words.map((w, i) => out[i] ?? fresh.get(w)!);
  }

  private readonly tokenize = (words: string[]): string[][] => {
    const out = words.map((): string[] => []);
    this.db.transaction(() => {
      words.forEach((w, i) => this.insert.run(i + 1, w));
      for (const [doc, term] of this.read.all() as [number, string][]) out[doc - 1]!.push(term);
      this.clear.run();
    })();
    return out;
  };

  close(): void { this.db.close(); }
}

/** True when `db` holds a lexical index (bundles built before it have none). */
export function hasLexicalIndex(db: Database.Database): boolean {
  return db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('lex_terms', 'lex_doc_chunks', 'lex_blobs')")
    .pluck().get() === 3;
}

/** A {@link LexicalIndexReader} over a served `memories.db`, which a warm-up can fill ahead of the first query. */
export interface ServedLexicalReader extends LexicalIndexReader {
  /**
   * Keeps forward chunks read elsewhere (a worker thread, warm-up.ts) as if a
   * query had read them; a chunk already read is left as it is.
   */
  prime(chunks: Iterable<{ chunk: number; data: Uint8Array }>): void;
}

/**
 * The lexical index of an open `memories.db`, read lazily: the
 * `doc_lengths` array on first use, a token's row per query (its champion
 * list decoded), a chunk of memories' terms when a query first needs one
 * of them (then kept: at most the whole forward index, ~65 bytes a memory). Returns `null` when the
 * `meta` numbers it needs are missing or malformed.
 */
export function openLexicalReader(db: Database.Database, meta: Readonly<Record<string, string>>): ServedLexicalReader | null {
  const rows = Number(meta.lex_rows);
  const total = Number(meta.lex_total_tokens);
  const championSize = Number(meta.lex_champion_size);
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(total) || !Number.isSafeInteger(championSize) || rows < 0) return null;
  const stats: LexicalStats = { rows, avgdl: rows === 0 ? 1 : total / rows, championSize };
  const termStmt = db.prepare("SELECT id, df, idf, champions FROM lex_terms WHERE token = ?");
  const chunkStmt = db.prepare("SELECT data FROM lex_doc_chunks WHERE chunk = ?").pluck();
  const chunks = new Map<number, Buffer | null>();
  const chunkOf = (rowid: number): Buffer | null => {
    const c = rowid >>> DOC_CHUNK_BITS;
    let chunk = chunks.get(c);
    if (chunk === undefined) {
      chunk = (chunkStmt.get(c) as Buffer | undefined) ?? null;
      chunks.set(c, chunk);
    }
    return chunk;
  };
  let lengths: Uint32Array | undefined;
  const docLengths = (): Uint32Array => {
    if (lengths) return lengths;
    const blob = db.prepare("SELECT data FROM lex_blobs WHERE name = 'doc_lengths'").pluck().get() as Buffer | undefined;
    const n = blob ? Math.floor(blob.length / 4) : 0;
    lengths = new Uint32Array(n);
    for (let i = 0; i < n; i++) lengths[i] = blob!.readUInt32LE(i * 4);
    return lengths;
  };
  // Zipf queries repeat their common words: their decoded lists stay (≤ TERM_CACHE_SIZE × 4 KB). Two generations, an
  // approximate least-recently-used: words go into `young`; when it holds half the cache it becomes `old` (the
  // previous `old` is dropped), and a word found in `old` moves back to `young`. A word used once per generation
  // stays. A hit costs one lookup (an exact LRU moved every hit to the end of a Map: a delete and a set per word).
  // Clearing the whole cache when full made every common word's next query decode its list again. `null`: not in the index.
  let young = new Map<string, LexicalTerm | null>();
  let old = new Map<string, LexicalTerm | null>();
  const remember = (token: string, term: LexicalTerm | null): void => {
    if (young.size >= TERM_CACHE_SIZE / 2) {
      old = young;
      young = new Map();
    }
    young.set(token, term);
  };
  let scratch: { lower: Float64Array; covered: Float64Array } | undefined;
  return {
    stats,
    docLengths,
    scratch: () => (scratch ??= { lower: new Float64Array(docLengths().length + 1), covered: new Float64Array(docLengths().length + 1) }),
    term(token): LexicalTerm | undefined {
      const hit = young.get(token);
      if (hit !== undefined) return hit ?? undefined;
      const aged = old.get(token);
      if (aged !== undefined) {
        old.delete(token);
        remember(token, aged);
        return aged ?? undefined;
      }
      const r = termStmt.get(token) as { id: number; df: number; idf: number; champions: Buffer } | undefined;
      const term = r ? lexicalTerm(r.id, r.df, r.idf, decodeChampions(r.champions)) : null;
      remember(token, term);
      return term ?? undefined;
    },
    docTerms(rowid, into): boolean {
      const chunk = chunkOf(rowid);
      return chunk !== null && docTermsInto(chunk, rowid, into);
    },
    prime(read): void {
      for (const { chunk, data } of read) {
        if (!Number.isSafeInteger(chunk) || chunks.has(chunk)) continue;
        chunks.set(chunk, Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      }
    },
  };
}

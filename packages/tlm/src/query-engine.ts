import Database from "better-sqlite3";
import type { MemoryResult, QueryIntent } from "@recall/protocol";
import { QUERY_LIMITS } from "@recall/protocol";
import { CJK_SEGMENTER, MAX_QUERY_TERMS, commonThreshold, segmentCjk, toOrMatch, tokenize, words as allWords } from "./fts-query";
import { filterSql } from "./filters";
import { LegacyRanker } from "./legacy-ranker";
import { TypoCorrector, hasTypoIndex } from "./typo";
import { EXPANSION_WEIGHT, type Expansion, MAX_EXPANSION_WORDS, type Thesaurus, shippedThesaurus, warmShippedThesaurus } from "./thesaurus";
import { warmKnownWords } from "./embed/word-vectors";
import { QueryTokenizer, type ServedLexicalReader, hasLexicalIndex, openLexicalReader } from "./lexical-reader";
import { warmRead } from "./warm-up";
import { type LexicalTerm, PROBE_BATCH, type ScoredRow, lexicalTerm, rankGiven, rankLexical } from "./lexical-search";
import { nextTurn } from "./next-turn";

export { BM25_WEIGHTS } from "./lexical-index";
export type { ScoredRow } from "./lexical-search";

/** Injectable time source for deadlines (milliseconds, monotonic). */
export interface QueryClock { now(): number }

const realClock: QueryClock = { now: () => performance.now() };

/** What {@link MemoryDatabase.query} returns. */
export interface QueryOutcome {
  results: MemoryResult[];
  truncated: boolean;
  /** Query words no memory holds that were ranked as the corpus word one edit away. Absent: none. */
  corrections?: Correction[];
  /** Query words also searched as the thesaurus's words for the same thing (thesaurus.ts); absent when none. */
  expansions?: Expansion[];
}

/** What {@link MemoryDatabase.lexicalCandidates} returns: ranked row ids, best first. */
export interface LexicalCandidates {
  ranked: ScoredRow[];
  /** The deadline cut the ranking short. */
  truncated: boolean;
  /** Proven equal to the exact bm25 top-k (false: the best the bounded search found, scores still exact). */
  exact: boolean;
  /** Query words no memory holds that were ranked as the corpus word one edit away (typo.ts). Absent: none. */
  corrections?: Correction[];
  /** Query words also searched as the thesaurus's words for the same thing (thesaurus.ts); absent when none. */
  expansions?: Expansion[];
}

/** One typo correction: the query's `word` was ranked as `to`. */
export interface Correction { word: string; to: string }

/** Options of {@link MemoryDatabase.lexicalCandidates}. */
export interface CandidateOptions {
  /** How many (default the intent's limit, else {@link QUERY_LIMITS}'s default). */
  limit?: number;
  /** A `clock.now()` value; default none. */
  deadline?: number;
  clock?: QueryClock;
  /** Correct query words no memory holds (typo.ts; bundles with the typo index). Default true. */
  correct?: boolean;
  /** Also search the thesaurus's words for the query's words (thesaurus.ts; bundles with the lexical index). Default true. */
  expand?: boolean;
}

/** Why a database cannot be served. */
export type OpenFailure = { ok: false; message: string; cause?: unknown };

/** Most candidates a lexical query scores exactly (one row read each) before it settles for the best found. */
export const MAX_PROBES = 500;

/** Most champion-list entries a lexical query reads, shared among its words (a 32-word query reads 128 of each). */
export const MAX_POSTINGS = 4096;

/** Most memories holding the two strongest words that a query scores first. */
export const SEED_MAX = 200;

/** The two strongest words are intersected only when the rarer is held by at most this many memories. */
export const SEED_MAX_DF = 50_000;

/** Most FTS5 matches read (in row id order) to top up a filtered query that found too few answers. */
export const FILL_SCAN_MAX = 20_000;

/** Most memories a selective filter (entities, dates) may match for the query to rank them all exactly instead. */
export const FILTER_FIRST_MAX = 1000;

interface Row { id: string; text: string; kind: string; entities: string; created_at: string; source_ref: string | null }

interface LexicalEngine { reader: ServedLexicalReader; tokenizer: QueryTokenizer }

/**
 * The rewrites of one query's text (typo.ts): its corrections, `fix` (a word →
 * the words it is searched as), the compounds joined from adjacent words, the
 * text's words with the fixes applied, and whether every word was checked
 * (false when the deadline cut the corrections short).
 */
interface Rewrite {
  corrections: Correction[];
  fix: (word: string) => string[];
  joined: string[];
  textWords: string[];
  complete: boolean;
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
  private readonly legacy: LegacyRanker;
  private readonly lexical: LexicalEngine | null;
  private readonly rowStatement: Database.Statement;
  /** The bundle indexed CJK runs as characters and pairs (`meta.lex_segmenter`): query text is split the same way. */
  private readonly segmentsCjk: boolean;
  private readonly typos: TypoCorrector | null;
  /**
   * The last complete rewrite {@link correctedText} made, kept for the lexical
   * search of the same text that follows it in a hybrid query (taken once):
   * the query's words are then looked up and corrected once, not twice.
   */
  private lastRewrite: { text: string; rewrite: Rewrite } | undefined;
  private refs = 0;
  private retired = false;
  private closed = false;

  private constructor(path: string, db: Database.Database, meta: Record<string, string>) {
    this.path = path;
    this.db = db;
    this.meta = Object.freeze(meta);
    this.count = Number(meta.count ?? 0);
    this.segmentsCjk = meta.lex_segmenter === CJK_SEGMENTER;
    this.legacy = new LegacyRanker(db, this.count);
    const reader = hasLexicalIndex(db) ? openLexicalReader(db, this.meta) : null;
    this.lexical = reader ? { reader, tokenizer: new QueryTokenizer() } : null;
    this.typos = this.lexical && hasTypoIndex(db) ? new TypoCorrector(db) : null;
    this.rowStatement = db.prepare("SELECT rowid AS r, id, text, kind, entities, created_at, source_ref FROM memories WHERE rowid IN (SELECT value FROM json_each(?))");
  }

  /** True when the bundle carries the lexical index (bounded queries); older bundles rank through FTS5 `bm25()`. */
  get bounded(): boolean { return this.lexical !== null; }

  /**
   * Reads the word list typo correction checks (typo.ts) now, so the first
   * misspelt query does not pay for it (≈ 15–40 ms once per process): a slice
   * at a time between turns of the event loop (word-vectors.ts,
   * `warmKnownWords`). Resolves true when this bundle corrects typos at all.
   */
  async warmTypos(): Promise<boolean> {
    if (!this.typos) return false;
    await warmKnownWords(nextTurn);
    return true;
  }

  /**
   * Reads the lexical index's forward chunks (every memory's terms, ≈ 65
   * bytes a memory) on a worker thread now, so the first queries do not read
   * them from SQLite on the event loop (at 100 k memories the first query
   * spent ≈ 60 ms there). Resolves true when they were kept; false, never a
   * rejection, for a bundle without the index, a failed read, or a database
   * closed meanwhile (queries then read chunks as before).
   */
  async warmLexical(signal?: AbortSignal): Promise<boolean> {
    if (this.lexical === null || this.closed) return false;
    try {
      const read = await warmRead({ docChunks: this.path }, signal);
      if (this.closed) return false;
      this.lexical.reader.prime(read.chunks ?? []);
      this.lexical.reader.docLengths();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Parses the shipped thesaurus now (thesaurus.ts), so the first query that
   * could be expanded does not pay for it: its lines are parsed and its words
   * stemmed a chunk at a time between turns of the event loop (≈ 20–40 ms in
   * all). Resolves true when this bundle's queries are expanded at all
   * (it has the lexical index and the list could be read); false, never a
   * rejection, when the database closes meanwhile.
   */
  async warmThesaurus(): Promise<boolean> {
    if (this.lexical === null) return false;
    const tokenizer = this.lexical.tokenizer;
    try {
      // The bundle may be replaced (and this database closed) between two chunks: the warm-up then stops, and the
      // next database's first query or warm-up parses the list.
      return (await warmShippedThesaurus((ws) => {
        if (this.closed) throw new Error("database closed");
        return tokenizer.tokensOf(ws);
      })) !== null;
    } catch {
      return false;
    }
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
      // Defensive, as the load-time check (bundle-db-check.ts): no untrusted schema functions, cell sizes verified on read.
      db.pragma("trusted_schema = OFF");
      db.pragma("cell_size_check = ON");
      db.pragma("mmap_size = 1073741824");
      // An installed bundle never changes (docs/bundle-root.md): the first read takes a shared lock and keeps it, so a
      // statement skips SQLite's per-statement lock, unlock and change check (4 fcntl, 3 fstat, 1 pread: ~12 µs each time).
      // Other readers are not blocked; nothing writes to an installed bundle.
      db.pragma("locking_mode = EXCLUSIVE");
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
    this.lexical?.tokenizer.close();
    this.db.close();
  }

  private filterStatement(key: string, sql: string): Database.Statement {
    let stmt = this.statements.get(key);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(key, stmt);
    }
    return stmt;
  }

  /**
   * Ranks an intent's text lexically and returns row ids with their exact
   * scores (−bm25 of the OR of its words, higher is better), best first,
   * filters applied — the lexical input of any fusion. With the bundle's
   * lexical index the cost is bounded whatever the words (lexical-search.ts);
   * a selective filter (entities, dates) that the bounded search cannot
   * prove exact is ranked over all its matches instead. Past `deadline` it
   * stops and says `truncated`.
   */
  lexicalCandidates(intent: QueryIntent, opts: CandidateOptions = {}): LexicalCandidates {
    const limit = opts.limit ?? intent.limit ?? QUERY_LIMITS.limitDefault;
    const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
    const clock = opts.clock ?? realClock;
    const now = () => clock.now();
    // Bundles built before the segmenter indexed a CJK run as one token: their queries are not split either.
    const text = this.segmentsCjk ? segmentCjk(intent.text, "query") : intent.text;
    let words = tokenize(text);
    if (words.length === 0) return { ranked: [], truncated: false, exact: true };
    let tokens = this.lexical ? this.lexical.tokenizer.tokensOf(words) : [];
    // A word FTS5 splits into several tokens is a phrase: only FTS5 itself ranks phrases.
    if (!this.lexical || tokens.some((t) => t.length > 1)) {
      return { ...this.legacy.rank(text === intent.text ? intent : { ...intent, text }, limit, deadline, now), exact: false };
    }
    let corrections: Correction[] = [];
    // The text's words in order, stop words kept, as corrected (phrases of the thesaurus are looked up in them).
    let textWords: readonly string[] | undefined;
    if (this.typos && opts.correct !== false) {
      const kept = this.lastRewrite;
      this.lastRewrite = undefined;
      const r = kept?.text === text ? kept.rewrite : this.rewrite(text, words, tokens, deadline, now);
      corrections = r.corrections;
      textWords = r.textWords;
      if (corrections.length > 0 || r.joined.length > 0) {
        words = [...new Set([...words.flatMap(r.fix), ...r.joined])].slice(0, MAX_QUERY_TERMS);
        tokens = this.lexical.tokenizer.tokensOf(words);
      }
    }
    const searched = words.length;
    let expansions: Expansion[] = [];
    let weights: number[] = [];
    if (opts.expand !== false && now() <= deadline) {
      const found = this.expansions(textWords ?? allWords(text), tokens, MAX_QUERY_TERMS - words.length);
      expansions = found.expansions;
      words = [...words, ...found.words];
      tokens = [...tokens, ...found.tokens];
      weights = found.weights;
    }
    const ranking = this.rankBounded(words, tokens, intent, limit, deadline, now, searched, weights);
    return {
      ...ranking,
      ...(corrections.length > 0 ? { corrections } : {}),
      ...(expansions.length > 0 ? { expansions } : {}),
    };
  }

  /**
   * The thesaurus's words for `text`'s words (thesaurus.ts): at most `room`
   * words (and {@link MAX_EXPANSION_WORDS}), each a single token that the
   * index holds in at most `commonThreshold` memories (fts-query.ts) and the
   * query (`tokens`) does not; the expansions report only those words, and
   * `weights` gives each its weight ({@link EXPANSION_WEIGHT}).
   */
  private expansions(text: readonly string[], tokens: readonly (readonly string[])[], room: number):
    { expansions: Expansion[]; words: string[]; tokens: (readonly string[])[]; weights: number[] } {
    const none = { expansions: [], words: [], tokens: [], weights: [] };
    if (room <= 0 || text.length === 0) return none;
    const { tokenizer, reader } = this.lexical!;
    const thesaurus = this.thesaurus();
    if (!thesaurus) return none;
    // Each distinct word once: a pasted text repeats its words hundreds of times.
    const distinct = [...new Set(text)];
    const stemOf = new Map<string, string>();
    tokenizer.tokensOf(distinct).forEach((t, i) => stemOf.set(distinct[i]!, t.join(" ")));
    const stems = text.map((w) => stemOf.get(w)!);
    const held = new Set(tokens.map((t) => t.join(" ")));
    const out = { expansions: [] as Expansion[], words: [] as string[], tokens: [] as (readonly string[])[], weights: [] as number[] };
    const common = commonThreshold(this.count);
    for (const e of thesaurus.expand(text, stems, Math.min(room, MAX_EXPANSION_WORDS))) {
      const kept: string[] = [];
      const keptTokens: (readonly string[])[] = [];
      tokenizer.tokensOf(e.with).forEach((t, i) => {
        const token = t.length === 1 ? t[0]! : undefined;
        if (token === undefined || held.has(token)) return;
        // A word most memories hold says little about any of them and costs the most to rank: not added.
        const term = reader.term(token);
        if (term === undefined || term.df > common) return;
        held.add(token);
        kept.push(e.with[i]!);
        keptTokens.push(t);
      });
      if (kept.length === 0) continue;
      // A word the corpus does not hold is stood in for by its expansions at full weight; one it holds keeps the lead.
      const absent = tokenizer.tokensOf(allWords(e.word)).every((t) => t.length !== 1 || reader.term(t[0]!) === undefined);
      const weight = absent ? 1 : EXPANSION_WEIGHT;
      for (let i = 0; i < kept.length; i++) out.weights.push(weight);
      out.expansions.push({ word: e.word, with: kept });
      out.words.push(...kept);
      out.tokens.push(...keptTokens);
    }
    return out;
  }

  /** The shipped thesaurus, stemmed with this bundle's tokenizer on first use; null when it cannot be read. */
  private thesaurus(): Thesaurus | null {
    return shippedThesaurus((ws) => this.lexical!.tokenizer.tokensOf(ws));
  }

  /**
   * The text as the lexical search searches it: each word it corrects (a
   * typo, a split compound: {@link lexicalCandidates}' `corrections`)
   * replaced, the rest as typed, and the compounds it joins appended ("back up
   * billing backup"); `text` itself when there are none. The query embedder
   * embeds this, so the vectors see "deploy billing" where the user typed
   * "deply billing".
   */
  correctedText(text: string, deadline = Number.POSITIVE_INFINITY, clock: QueryClock = realClock): string {
    if (!this.typos || !this.lexical) return text;
    const segmented = this.segmentsCjk ? segmentCjk(text, "query") : text;
    const words = tokenize(segmented);
    if (words.length === 0) return text;
    const tokens = this.lexical.tokenizer.tokensOf(words);
    if (tokens.some((t) => t.length > 1)) return text;
    const rewrite = this.rewrite(segmented, words, tokens, deadline, () => clock.now());
    this.lastRewrite = rewrite.complete ? { text: segmented, rewrite } : undefined;
    const { corrections, joined } = rewrite;
    if (corrections.length === 0 && joined.length === 0) return text;
    const fixed = new Map(corrections.map((c) => [c.word, c.to]));
    // The same split into words as words() (fts-query.ts), on the text as typed: only corrected words change.
    const corrected = text.normalize("NFKC").replace(/[\p{L}\p{N}]+/gu, (w) => fixed.get(w.toLowerCase()) ?? w);
    return joined.length === 0 ? corrected : `${corrected} ${joined.join(" ")}`;
  }

  /**
   * The {@link Rewrite} of `text`. A split compound is two words; the joined
   * compounds come from words adjacent in `text`, stop words included ("log
   * in"), which tokenize() drops.
   */
  private rewrite(text: string, words: readonly string[], tokens: readonly (readonly string[])[], deadline: number, now: () => number): Rewrite {
    const { corrections, complete } = this.correct(words, tokens, deadline, now);
    const fixed = new Map(corrections.map((c) => [c.word, c.to]));
    const fix = (w: string) => (fixed.get(w) ?? w).split(" ");
    const textWords = allWords(text).flatMap(fix);
    return { corrections, fix, joined: this.typos!.joins(textWords), textWords, complete };
  }

  /**
   * Query words no memory holds (their token is not in the index), each with
   * what replaces it (typo.ts): the corpus word one edit away, else the two
   * corpus words it is written together from ("oncall" → "on call"); empty when none.
   * A word's first fix costs a statement or two: past `deadline` the words
   * left are searched as typed, so `budget_ms` bounds a query of 32 unknown words too.
   */
  private correct(words: readonly string[], tokens: readonly (readonly string[])[], deadline: number, now: () => number):
    { corrections: Correction[]; complete: boolean } {
    const corrections: Correction[] = [];
    const { reader } = this.lexical!;
    for (let i = 0; i < words.length; i++) {
      const token = tokens[i]?.[0];
      if (token === undefined || reader.term(token) !== undefined) continue;
      if (now() > deadline) return { corrections, complete: false };
      const to = this.typos!.fix(words[i]!);
      if (to !== undefined) corrections.push({ word: words[i]!, to });
    }
    return { corrections, complete: true };
  }

  /** The bounded ranking of {@link lexicalCandidates} over words already split into single tokens. */
  private rankBounded(words: string[], tokens: readonly (readonly string[])[], intent: QueryIntent, limit: number, deadline: number,
    now: () => number, searched: number = words.length, weights: readonly number[] = []): LexicalCandidates {
    const { reader } = this.lexical!;
    const byToken = new Map<string, LexicalTerm | undefined>();
    const terms = tokens.map((t, i) => {
      const token = t[0];
      if (token === undefined) return undefined;
      if (!byToken.has(token)) byToken.set(token, reader.term(token));
      const term = byToken.get(token);
      // An expansion word counts for EXPANSION_WEIGHT of a query word: its idf is scaled (bounds and exact scores alike).
      return term && i >= searched ? lexicalTerm(term.id, term.df, term.idf * (weights[i - searched] ?? EXPANSION_WEIGHT), term.champions) : term;
    });
    const filter = filterSql(intent);
    const where = filter.conditions.join(" AND ");
    const accept = filter.conditions.length === 0 ? undefined : (() => {
      const stmt = this.filterStatement(`accept:${filter.key}`,
        `SELECT m.rowid FROM memories m WHERE m.rowid IN (SELECT value FROM json_each(@rowids)) AND ${where}`).pluck();
      return (rowids: readonly number[]) => new Set(stmt.all({ ...filter.params, rowids: JSON.stringify(rowids) }) as number[]);
    })();
    const seeds = this.strongPair(words.slice(0, searched), terms.slice(0, searched), limit);
    const ranking = rankLexical(terms, reader, {
      k: limit, ...(accept ? { accept } : {}), ...(seeds.length ? { seeds } : {}), maxProbes: MAX_PROBES, maxPostings: MAX_POSTINGS, deadline, now,
    });
    if (ranking.exact || ranking.truncated) return ranking;
    if (filter.indexed) {
      const drive = filter.firstEntity === undefined ? "" : " AND m.rowid IN (SELECT memory_rowid FROM memory_entities WHERE entity = @firstEntity)";
      const matches = this.filterStatement(`first:${filter.key}`, `SELECT m.rowid FROM memories m WHERE ${where}${drive} LIMIT @cap`).pluck()
        .all({ ...filter.params, ...(drive ? { firstEntity: filter.firstEntity } : {}), cap: FILTER_FIRST_MAX + 1 }) as number[];
      if (matches.length <= FILTER_FIRST_MAX) {
        const given = rankGiven(terms, reader, matches, { k: limit, deadline, now });
        return { ...given, exact: !given.truncated };
      }
    }
    if (ranking.ranked.length >= limit) return ranking;
    return this.fillFromMatches(words, terms, ranking, { limit, deadline, now, ...(accept ? { accept } : {}) });
  }

  /**
   * Memories holding both of the query's two strongest words (highest idf)
   * when both have partial champion lists: FTS5 intersects their postings in
   * row id order, without ranking (at most {@link SEED_MAX} rows, and only when
   * the rarer word is held by at most {@link SEED_MAX_DF} memories, so the
   * intersection stays cheap). Empty otherwise.
   */
  private strongPair(words: readonly string[], terms: readonly (LexicalTerm | undefined)[], limit: number): number[] {
    const partial = terms.map((t, i) => ({ t, w: words[i]! }))
      .filter((x): x is { t: LexicalTerm; w: string } => x.t !== undefined && x.t.df > x.t.champions.rowids.length)
      .sort((a, b) => b.t.idf - a.t.idf);
    const [a, b] = partial;
    if (!a || !b || a.t.id === b.t.id || Math.min(a.t.df, b.t.df) > SEED_MAX_DF) return [];
    const stmt = this.filterStatement("pair", "SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?").pluck();
    return stmt.all(`${toOrMatch([a.w])} AND ${toOrMatch([b.w])}`, Math.max(SEED_MAX, limit)) as number[];
  }

  /**
   * Tops up a ranking that found fewer than `limit` answers (a filter
   * rejected most champions): walks the OR matches in row id order through
   * FTS5 (no ranking, so cost ∝ rows read, at most {@link FILL_SCAN_MAX}),
   * keeps those the filter accepts (at most {@link FILTER_FIRST_MAX}), and
   * ranks them with what was found exactly.
   */
  private fillFromMatches(words: string[], terms: (LexicalTerm | undefined)[], ranking: LexicalCandidates,
    opts: { limit: number; deadline: number; now: () => number; accept?: (rowids: readonly number[]) => Set<number> }): LexicalCandidates {
    const stmt = this.filterStatement("fill", "SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?").pluck();
    const found = new Set(ranking.ranked.map((r) => r.rowid));
    const collected: number[] = [...found];
    let batch: number[] = [];
    let scanned = 0;
    let truncated = false;
    const flush = () => {
      const accepted = opts.accept ? opts.accept(batch) : undefined;
      for (const d of batch) if (!found.has(d) && (!accepted || accepted.has(d))) collected.push(d);
      batch = [];
    };
    const it = stmt.iterate(toOrMatch(words)) as IterableIterator<number>;
    try {
      for (const rowid of it) {
        batch.push(rowid);
        if (batch.length === PROBE_BATCH) {
          flush();
          if (opts.now() > opts.deadline) { truncated = true; break; }
        }
        if (++scanned >= FILL_SCAN_MAX || collected.length >= FILTER_FIRST_MAX) break;
      }
    } finally {
      it.return?.();
    }
    if (batch.length > 0) flush();
    const given = rankGiven(terms, this.lexical!.reader, collected, { k: opts.limit, deadline: opts.deadline, now: opts.now });
    return { ranked: given.ranked, truncated: truncated || given.truncated, exact: false };
  }

  /** Reads the rows of ranked ids, in order, as results (a row that is gone is skipped). */
  materialize(ranked: readonly ScoredRow[]): MemoryResult[] {
    return this.materializeEach(ranked).filter((r): r is MemoryResult => r !== undefined);
  }

  /** {@link materialize}, position for position: `undefined` where a row is gone. */
  materializeEach(ranked: readonly ScoredRow[]): (MemoryResult | undefined)[] {
    if (ranked.length === 0) return [];
    // One statement for all of them: ten single-row reads cost about three times as much (measured at 100k memories).
    const rows = new Map<number, Row>();
    for (const row of this.rowStatement.all(JSON.stringify(ranked.map((r) => r.rowid))) as (Row & { r: number })[]) rows.set(row.r, row);
    return ranked.map(({ rowid, score }) => {
      const row = rows.get(rowid);
      if (!row) return undefined;
      return {
        id: row.id,
        text: row.text,
        kind: row.kind,
        entities: JSON.parse(row.entities) as string[],
        created_at: row.created_at,
        ...(row.source_ref === null ? {} : { source_ref: row.source_ref }),
        score: Math.round(score * 1e6) / 1e6,
      };
    });
  }

  /**
   * Runs a validated intent: {@link lexicalCandidates} then
   * {@link materialize}. Results are ordered by relevance (`score` = −bm25,
   * higher is better; ties by insertion order). Filters: `kinds` (any of),
   * `entities` (all of, case-insensitive), `since`/`until` (inclusive, on
   * `created_at`). When `deadline` (a `clock.now()` value) passes, what is
   * ranked so far comes back with `truncated: true`. `options` as
   * {@link lexicalCandidates}' (typo correction and thesaurus expansion on by default).
   */
  query(intent: QueryIntent, deadline = Number.POSITIVE_INFINITY, clock: QueryClock = realClock,
    options: Pick<CandidateOptions, "correct" | "expand"> = {}): QueryOutcome {
    const { ranked, truncated, corrections, expansions } = this.lexicalCandidates(intent, { ...options, deadline, clock });
    return { results: this.materialize(ranked), truncated, ...(corrections ? { corrections } : {}), ...(expansions ? { expansions } : {}) };
  }
}

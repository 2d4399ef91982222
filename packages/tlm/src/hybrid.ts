import Database from "better-sqlite3";
import type { MemoryResult, QueryIntent } from "@recall/protocol";
import { QUERY_LIMITS } from "@recall/protocol";
import type { Embedder } from "./embed/embedder";
import { HttpEmbedder, type HttpEmbedderOptions } from "./embed/http-embedder";
import { STATIC_EMBEDDER_ID, StaticWordEmbedder } from "./embed/static-embedder";
import { defaultWordVectorsPath, wordVectorsFromBytes } from "./embed/word-vectors";
import { LEXICAL_WEIGHT, fuseScores, type Scored } from "./fusion";
import type { MemoryDatabase, QueryOutcome } from "./query-engine";
import { VectorIndex, type VectorIndexInfo } from "./vector-index";
import { warmRead } from "./warm-up";
import { compileKernel } from "./int8-dot";
import { nextTurn } from "./next-turn";

/** Why a query that could have used vectors ran lexical only (the envelope's `vector_skipped_reason`). */
export type VectorSkipReason =
  | "bundle_has_no_vectors"
  | "embedder_mismatch"
  | "dims_mismatch"
  | "no_query_embedder"
  | "embedder_failed"
  | "embedder_timeout"
  | "budget_exhausted"
  | "query_vector_empty"
  | "vectors_loading";

/** How the query vector is obtained: given by the caller, to embed with a sidecar embedder, or none. */
export type VectorPlan =
  | { kind: "vector"; values: ArrayLike<number> }
  | { kind: "embed"; embedder: Embedder }
  | { kind: "lexical"; reason?: VectorSkipReason };

/**
 * Decides where the query vector comes from (pure). A caller's vector is used
 * only when its embedder id and length match the bundle's index; otherwise the
 * query runs lexical with the reason. Without a caller vector, a sidecar
 * embedder with the index's id embeds the text.
 */
export function planQueryVector(intent: Pick<QueryIntent, "vector">, index: VectorIndexInfo | null, embedders: readonly Embedder[]): VectorPlan {
  if (index === null) return intent.vector ? { kind: "lexical", reason: "bundle_has_no_vectors" } : { kind: "lexical" };
  if (intent.vector) {
    if (intent.vector.embedder !== index.embedder) return { kind: "lexical", reason: "embedder_mismatch" };
    if (intent.vector.values.length !== index.dims) return { kind: "lexical", reason: "dims_mismatch" };
    return { kind: "vector", values: intent.vector.values };
  }
  const embedder = embedders.find((e) => e.id === index.embedder);
  return embedder ? { kind: "embed", embedder } : { kind: "lexical", reason: "no_query_embedder" };
}

/** A hybrid answer: the lexical outcome plus how it was retrieved. */
export interface HybridOutcome extends QueryOutcome { retrieval: "lexical" | "hybrid"; vectorSkippedReason?: VectorSkipReason }

interface Row { rowid: number; id: string; text: string; kind: string; entities: string; created_at: string; created_ms: number; source_ref: string | null }

const DAY_MS = 86_400_000;
// Same rule as the lexical engine: a bare date as `until` covers that whole day.
function boundMs(value: string, endOfDay: boolean): number {
  const ms = Date.parse(value);
  return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(value) ? ms + DAY_MS - 1 : ms;
}

/** Candidates taken from each ranking before fusion, for a final `limit`. */
export function fusionDepth(limit: number): number {
  return Math.min(QUERY_LIMITS.limitMax, Math.max(limit * 2, 30));
}

/**
 * The vector side of one `memories.db`: its own read-only connection, the
 * index read lazily on first use (one read of a few blobs, not row by row) so
 * opening a bundle stays as cheap as before. {@link close} when the database
 * is retired.
 */
export class VectorSide {
  private readonly path: string;
  private db: Database.Database | null = null;
  private index: VectorIndex | null | undefined;
  private rowStmt: Database.Statement | null = null;

  constructor(path: string) { this.path = path; }

  /** True once the index is loaded or known absent ({@link load} then reads nothing). */
  get loaded(): boolean { return this.index !== undefined; }

  /** The index, or null when the bundle has none (or it cannot be read). */
  load(): VectorIndex | null {
    if (this.index !== undefined) return this.index;
    try {
      this.index = VectorIndex.read(this.connect());
    } catch {
      // A bundle whose vectors cannot be read keeps serving lexical queries.
      this.index = null;
    }
    return this.index;
  }

  /**
   * Reads the index on a worker thread (warm-up.ts) and keeps it as {@link load}
   * would: the blobs are read on the machine's other core and only the index is
   * assembled here. `file` is read by the same worker and its bytes returned.
   * Reads nothing when the index is already loaded or the side closed. Rejects
   * when the worker fails or `signal` aborts; {@link load} then reads on first use.
   */
  async warm(file?: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    if (this.index !== undefined) return file === undefined ? undefined : (await warmRead({ file }, signal)).file;
    // The dot-product kernel compiles on a background thread while the worker reads (Int8Rows.build awaits it).
    void compileKernel();
    const read = await warmRead({ db: this.path, ...(file === undefined ? {} : { file }) }, signal);
    if (this.index === undefined) {
      let index: VectorIndex | null;
      try {
        this.connect();
        index = await VectorIndex.fromRowsSliced(read.rows ?? [], nextTurn);
      } catch {
        index = null;
      }
      // A query may have loaded the index meanwhile (load): the first one kept stays.
      if (this.index === undefined) this.index = index;
    }
    return read.file;
  }

  private connect(): Database.Database {
    if (this.db) return this.db;
    const db = new Database(this.path, { readonly: true, fileMustExist: true });
    db.pragma("query_only = ON");
    db.pragma("mmap_size = 1073741824");
    // As MemoryDatabase.open: the bundle never changes, so one shared lock is kept instead of one per statement.
    db.pragma("locking_mode = EXCLUSIVE");
    this.db = db;
    return db;
  }

  /** Rows of `rowids` that pass the intent's filters, keyed by rowid. */
  rows(rowids: readonly number[], intent: QueryIntent): Map<number, Row> {
    const out = new Map<number, Row>();
    if (!this.db || rowids.length === 0) return out;
    this.rowStmt ??= this.db.prepare(
      "SELECT rowid, id, text, kind, entities, created_at, created_ms, source_ref FROM memories WHERE rowid IN (SELECT value FROM json_each(?))",
    );
    const kinds = intent.kinds ? new Set<string>(intent.kinds) : null;
    const wanted = intent.entities?.length ? [...new Set(intent.entities.map((e) => e.toLowerCase()))] : null;
    const since = intent.since ? boundMs(intent.since, false) : -Infinity;
    const until = intent.until ? boundMs(intent.until, true) : Infinity;
    for (const r of this.rowStmt.all(JSON.stringify(rowids)) as Row[]) {
      if (kinds && !kinds.has(r.kind)) continue;
      if (r.created_ms < since || r.created_ms > until) continue;
      if (wanted) {
        const have = new Set((JSON.parse(r.entities) as string[]).map((e) => e.toLowerCase()));
        if (!wanted.every((e) => have.has(e))) continue;
      }
      out.set(r.rowid, r);
    }
    return out;
  }

  /** Closes the connection; later calls see no index. */
  close(): void {
    this.index = null;
    this.rowStmt = null;
    try { this.db?.close(); } catch { /* already closed */ }
    this.db = null;
  }
}

/**
 * Runs one query: lexical (bm25) always; when `vector` is given, also the
 * vector search, then score fusion of both lists (fusion.ts) down to `limit`.
 * `coverage` (0–1, default 1: see {@link ResolvedVector}) scales the vector
 * list's weight: the lexical list keeps {@link LEXICAL_WEIGHT}, the vector list
 * gets (1 − LEXICAL_WEIGHT) × coverage. Each result says in `matched` where it
 * ranked in each list. Synchronous: the caller holds the database
 * (acquire/release) around it.
 */
export function hybridQuery(
  db: MemoryDatabase, side: VectorSide, intent: QueryIntent, queryVector: ArrayLike<number> | null,
  deadline: number, skipReason?: VectorSkipReason, coverage = 1,
): HybridOutcome {
  const limit = intent.limit ?? QUERY_LIMITS.limitDefault;
  // A zero (or non-finite) vector has no direction: its "nearest" memories would be arbitrary, yet fusion would rank them.
  const empty = queryVector !== null && !hasDirection(queryVector);
  const vector = empty ? null : queryVector;
  const skipped = empty ? "query_vector_empty" : skipReason;
  const index = vector ? side.load() : null;
  if (!vector || !index) {
    const lexical = db.query({ ...intent, limit }, deadline);
    return { ...lexical, retrieval: "lexical", ...(skipped ? { vectorSkippedReason: skipped } : {}) };
  }
  const depth = fusionDepth(limit);
  // Both lists are fused on rowids (one `memories` table); only the final `limit` rows are read.
  const lexical = db.lexicalCandidates({ ...intent, limit: depth }, { deadline });
  const hits = index.search(vector, depth);
  // The lexical engine applies the intent's filters itself; vector hits are checked here, and only when there are filters.
  const passing = hasFilters(intent) ? side.rows(hits.map((h) => h.rowid), intent) : null;
  const vectorList: Scored<number>[] = [];
  for (const h of hits) if (!passing || passing.has(h.rowid)) vectorList.push({ key: h.rowid, score: h.similarity });
  const share = Number.isFinite(coverage) ? Math.min(1, Math.max(0, coverage)) : 1;
  const w = LEXICAL_WEIGHT / (LEXICAL_WEIGHT + (1 - LEXICAL_WEIGHT) * share);
  const fused = fuseScores(lexical.ranked.map((r) => ({ key: r.rowid, score: r.score })), vectorList, w).slice(0, limit);
  const results: MemoryResult[] = [];
  const rows = db.materializeEach(fused.map((f) => ({ rowid: f.key, score: f.score })));
  fused.forEach((f, i) => {
    const r = rows[i];
    if (r) results.push({ ...r, matched: { ...(f.lexicalRank ? { lexical_rank: f.lexicalRank } : {}), ...(f.vectorRank ? { vector_rank: f.vectorRank } : {}) } });
  });
  return {
    results, truncated: lexical.truncated, retrieval: "hybrid",
    ...(lexical.corrections ? { corrections: lexical.corrections } : {}), ...(lexical.expansions ? { expansions: lexical.expansions } : {}),
  };
}

/** True when `v` is finite and not all zeros: a direction a similarity can be measured against. */
export function hasDirection(v: ArrayLike<number>): boolean {
  let nonZero = false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) return false;
    if (x !== 0) nonZero = true;
  }
  return nonZero;
}

const hasFilters = (intent: QueryIntent): boolean =>
  Boolean(intent.kinds?.length || intent.entities?.length || intent.since || intent.until);

/** Options of {@link QueryVectors}. */
export interface QueryVectorOptions {
  /** An OpenAI-compatible embeddings endpoint for query texts (`tlm serve --embed-url/--embed-model`). */
  endpoint?: HttpEmbedderOptions;
  /** Longest wait for the endpoint per query; also at most half the query's remaining budget. Default 300 ms. */
  embedTimeoutMs?: number;
  /** The offline default embedder (loaded on first need); tests inject one. Default: the shipped word vectors. */
  staticEmbedder?: () => Embedder;
}

/** What {@link QueryVectors.warm} did: read on a worker thread (else inline or not at all), vectors loaded, and whether the offline embedder is ready. */
export interface WarmOutcome { worker: boolean; vectors: number; embedder: "loaded" | "none"; ms: number }

/**
 * What {@link QueryVectors.resolve} decided. `coverage`: the share of the
 * query the vector speaks for (the offline embedder's
 * `StaticWordEmbedder.coverage`); absent = all of it.
 */
export interface ResolvedVector { vector: ArrayLike<number> | null; skipped?: VectorSkipReason; coverage?: number }

/**
 * The sidecar's vector sides (one per served database, swept once closed) and
 * query embedders: the caller's vector, the offline default when the bundle's
 * vectors come from it, or the configured endpoint.
 */
export class QueryVectors {
  private readonly sides = new Map<MemoryDatabase, VectorSide>();
  private readonly endpoint: HttpEmbedder | null;
  private readonly timeoutMs: number;
  private readonly makeStatic: () => Embedder;
  /** The offline default is the shipped table (not one a test injected): warm-up may read it on a worker. */
  private readonly defaultStatic: boolean;
  /** Aborted by {@link closeAll}: warm-up workers still reading are terminated. */
  private readonly stopping = new AbortController();
  private staticEmbedder: Embedder | null | undefined;
  /** Warm-ups in flight, by the side they load (bundles with vectors only). */
  private readonly warming = new Map<VectorSide, Promise<WarmOutcome>>();

  constructor(options: QueryVectorOptions = {}) {
    const opts = Object.freeze({ __proto__: null, ...options }) as QueryVectorOptions;
    this.timeoutMs = opts.embedTimeoutMs ?? 300;
    // One query text's vector is a few KiB of JSON: a larger answer is refused early.
    this.endpoint = opts.endpoint
      ? new HttpEmbedder({ ...opts.endpoint, timeoutMs: opts.endpoint.timeoutMs ?? this.timeoutMs, maxResponseBytes: opts.endpoint.maxResponseBytes ?? 1024 * 1024 })
      : null;
    this.makeStatic = opts.staticEmbedder ?? (() => new StaticWordEmbedder());
    this.defaultStatic = opts.staticEmbedder === undefined;
  }

  /** The vector side of `db`; sides of databases closed since are closed here. */
  side(db: MemoryDatabase): VectorSide {
    for (const [d, s] of this.sides) if (d.isClosed) { s.close(); this.sides.delete(d); }
    let s = this.sides.get(db);
    if (!s) { s = new VectorSide(db.path); this.sides.set(db, s); }
    return s;
  }

  private embedders(indexEmbedder: string): Embedder[] {
    const out: Embedder[] = [];
    if (this.endpoint) out.push(this.endpoint);
    if (indexEmbedder === STATIC_EMBEDDER_ID) {
      if (this.staticEmbedder === undefined) {
        try { this.staticEmbedder = this.makeStatic(); } catch { this.staticEmbedder = null; }
      }
      if (this.staticEmbedder) out.push(this.staticEmbedder);
    }
    return out;
  }

  /** True when `side`'s index is loaded (or known absent) and, for the offline embedder's vectors, that embedder too. */
  private loaded(side: VectorSide): boolean {
    if (!side.loaded) return false;
    const index = side.load();
    return index === null || index.info.embedder !== STATIC_EMBEDDER_ID || this.staticEmbedder !== undefined;
  }

  /**
   * The query vector for `intent` against `side`'s index, or null with the
   * reason. Never rejects: an endpoint failure or timeout is a reason. An
   * embedder embeds `embedText()` (default the intent's text; `tlm serve`
   * passes the text as the lexical search corrected it,
   * `MemoryDatabase.correctedText`), asked only when a text is to be embedded.
   */
  async resolve(intent: QueryIntent, side: VectorSide, deadline: number, now: () => number = () => performance.now(),
    embedText: () => string = () => intent.text): Promise<ResolvedVector> {
    const warming = this.warming.get(side);
    const budgetLeft = deadline - now();
    // Only while something this query needs is still missing: an unbudgeted query may have loaded it meanwhile.
    if (warming && Number.isFinite(budgetLeft) && !this.loaded(side)) {
      // The index and word table are being read on a worker and built between turns of the event loop ({@link warm}).
      // Read here instead, they would cost this query (and hold every other request) ≈ 240 ms at 100 k memories: a
      // query with a budget waits for the warm-up as long as for an endpoint (the timeout, at most half the budget
      // left), then runs on words alone and says so. One without a budget reads what is still missing below, at once
      // (waiting for the warm-up was slower: it also yields to other requests).
      const wait = Math.min(this.timeoutMs, budgetLeft / 2);
      if (!(wait >= 1 && await settlesWithin(warming, wait))) return { vector: null, skipped: "vectors_loading" };
    }
    const index = side.load();
    const plan = planQueryVector(intent, index?.info ?? null, index ? this.embedders(index.info.embedder) : []);
    if (plan.kind === "lexical") return { vector: null, ...(plan.reason ? { skipped: plan.reason } : {}) };
    if (plan.kind === "vector") return { vector: plan.values };
    const text = embedText();
    if (plan.embedder instanceof StaticWordEmbedder) return { vector: plan.embedder.embedQuery(text), coverage: plan.embedder.coverage(text) };
    const left = deadline - now();
    const wait = Math.min(this.timeoutMs, Number.isFinite(left) ? left / 2 : this.timeoutMs);
    if (wait < 1) return { vector: null, skipped: "budget_exhausted" };
    const signal = AbortSignal.timeout(Math.ceil(wait));
    try {
      const [v] = await plan.embedder.embed([text], signal);
      if (!v || v.length !== index!.info.dims) return { vector: null, skipped: "dims_mismatch" };
      return { vector: v };
    } catch {
      return { vector: null, skipped: signal.aborted ? "embedder_timeout" : "embedder_failed" };
    }
  }

  /**
   * Loads what the first hybrid query on `db` would otherwise pay for: its
   * vector index and, when the index comes from the offline embedder, the word
   * table. The slow part (reading ~10 MB of blobs at 100k memories and the 6.7 MB
   * word table) runs on a worker thread (warm-up.ts); here the index is
   * assembled and the word index built in chunks between turns of the event
   * loop, so requests are answered meanwhile. Never calls an embedding
   * endpoint; never rejects (what fails loads on first use). A query with a
   * budget arriving meanwhile waits for it ({@link resolve}). The server runs
   * it once a bundle loads.
   */
  async warm(db: MemoryDatabase): Promise<WarmOutcome> {
    // Only a bundle with vectors has anything for a query to wait for (resolve).
    if (db.isClosed || db.meta.embedder === undefined) return this.warmUp(db);
    const side = this.side(db);
    const running = this.warming.get(side);
    if (running) return running;
    const p = this.warmUp(db);
    this.warming.set(side, p);
    try {
      return await p;
    } finally {
      this.warming.delete(side);
    }
  }

  private async warmUp(db: MemoryDatabase): Promise<WarmOutcome> {
    const t0 = performance.now();
    const outcome = (worker: boolean, index: VectorIndex | null): WarmOutcome =>
      ({ worker, vectors: index?.info.count ?? 0, embedder: this.staticEmbedder ? "loaded" : "none", ms: Math.round(performance.now() - t0) });
    if (db.isClosed) return outcome(false, null);
    const side = this.side(db);
    // The offline default's word table is read by the same worker when the bundle's vectors come from it.
    const table = this.staticEmbedder === undefined && this.defaultStatic && db.meta.embedder === STATIC_EMBEDDER_ID ? defaultWordVectorsPath() : undefined;
    let file: Uint8Array | undefined;
    let worker = true;
    try {
      file = await side.warm(table, this.stopping.signal);
    } catch {
      // Whatever did not load here loads on first use (below, or in the first query).
      worker = false;
    }
    if (db.isClosed || this.stopping.signal.aborted) return outcome(worker, null);
    const index = side.load();
    if (!index) return outcome(worker, null);
    if (file && table && this.staticEmbedder === undefined) {
      try {
        const words = await wordVectorsFromBytes(file, table);
        if (this.staticEmbedder === undefined) this.staticEmbedder = new StaticWordEmbedder(words);
      } catch { /* loaded on first use */ }
    }
    this.embedders(index.info.embedder);
    return outcome(worker, index);
  }



  /** Closes every vector side and stops any warm-up still reading. */
  closeAll(): void {
    this.stopping.abort();
    for (const s of this.sides.values()) s.close();
    this.sides.clear();
  }
}

/** True when `p` settles (either way) within `ms`; the timer is cleared either way. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

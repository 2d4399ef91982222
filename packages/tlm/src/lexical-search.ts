import { type ChampionList, type DocTerms, type LexicalStats, contribution, forEachDocTerm } from "./lexical-index";

/** One FTS5 token of the lexical index, as a query reads it. */
export interface LexicalTerm { id: number; df: number; idf: number; champions: ChampionList }

/** What the ranking reads from a lexical index (lexical-reader.ts reads it from SQLite). */
export interface LexicalIndexReader {
  readonly stats: LexicalStats;
  /** Token count of every memory, by row id. */
  docLengths(): Uint32Array;
  term(token: string): LexicalTerm | undefined;
  /** Two zeroed accumulators indexed by row id, reused by every query (the ranking zeroes what it touched). */
  scratch(): { lower: Float64Array; covered: Float64Array };
  /** The stored terms of several memories at once (one read per batch); absent ones are left out. */
  docTerms(rowids: readonly number[]): Map<number, DocTerms>;
}

/** Candidates read per batch when scoring exactly. */
export const PROBE_BATCH = 32;

/** A memory and its exact score (= −FTS5 `bm25()` of the OR query). */
export interface ScoredRow { rowid: number; score: number }

/** What {@link rankLexical} returns. */
export interface LexicalRanking {
  /** Best first: score descending, then row id ascending (FTS5's `ORDER BY bm25, rowid`). */
  ranked: ScoredRow[];
  /** The deadline passed before the ranking finished. */
  truncated: boolean;
  /** Proven equal to the exact top-k of the full bm25 ranking (the champion lists held every memory that could be in it). */
  exact: boolean;
}

/** Options of {@link rankLexical}. */
export interface RankOptions {
  /** How many results (the top-k). */
  k: number;
  /** A filter on memories (kinds, entities, dates): the accepted subset of a batch; absent = every memory. */
  accept?: (rowids: readonly number[]) => Set<number>;
  /** Most candidates scored exactly (each is one row read); the ranking stops there, not exact. */
  maxProbes: number;
  /** `now()` value past which the ranking stops and says truncated. */
  deadline: number;
  now: () => number;
}

// Float sums in another order may differ by a few ulps: bounds get this much slack so pruning stays safe.
const SLACK = 1e-9;
const above = (x: number) => x * (1 + SLACK);

/**
 * Exact scores of memories for one query's tokens, summed in phrase order as
 * FTS5 sums them (so bit-equal to −bm25): the query's token ids map to
 * slots, a memory's stored pairs fill the slots, the phrases read them.
 */
export class QueryScorer {
  private readonly slotOf = new Map<number, number>();
  private readonly phraseSlot: Int32Array;
  private readonly wtf: Float64Array;
  private readonly visit = (id: number, f: number) => {
    const slot = this.slotOf.get(id);
    if (slot !== undefined) this.wtf[slot] = f;
  };

  constructor(private readonly terms: readonly (LexicalTerm | undefined)[], private readonly avgdl: number) {
    this.phraseSlot = Int32Array.from(terms, (t) => {
      if (!t) return -1;
      if (!this.slotOf.has(t.id)) this.slotOf.set(t.id, this.slotOf.size);
      return this.slotOf.get(t.id)!;
    });
    this.wtf = new Float64Array(this.slotOf.size);
  }

  /** The memory's exact score (0 when it holds none of the tokens). */
  score(doc: DocTerms | undefined): number {
    if (!doc) return 0;
    this.wtf.fill(0);
    forEachDocTerm(doc, this.visit);
    let score = 0;
    for (let i = 0; i < this.terms.length; i++) {
      const slot = this.phraseSlot[i]!;
      const f = slot < 0 ? 0 : this.wtf[slot]!;
      if (f) score += contribution(this.terms[i]!.idf, f, doc.length, this.avgdl);
    }
    return score;
  }
}

/** Keeps the best `k` rows, best first, by insertion (k ≤ 100). */
function insertTop(top: ScoredRow[], row: ScoredRow, k: number): void {
  let i = top.length;
  while (i > 0 && (top[i - 1]!.score < row.score || (top[i - 1]!.score === row.score && top[i - 1]!.rowid > row.rowid))) i--;
  if (i >= k) return;
  top.splice(i, 0, row);
  if (top.length > k) top.pop();
}

/**
 * Bounded top-k of the OR query over `tokens` (one entry per query phrase, in
 * order; `undefined` for a phrase that matches nothing), equal to FTS5's
 * `ORDER BY bm25(memories_fts, 1, 2), rowid` when `exact`:
 *
 * 1. the union of the tokens' champion lists is the candidate set; summing the
 *    known contributions gives each candidate a lower bound, adding the bound
 *    of each partial list it is missing from an upper bound, and every
 *    memory outside the union is below the sum of those bounds;
 * 2. candidates whose upper bound cannot reach the k-th lower bound are dropped;
 * 3. the rest are scored exactly (their stored terms), best upper bound first,
 *    until the k-th exact score beats every upper bound left.
 *
 * Cost: Σ list lengths (≤ 32 × champion size) plus at most `maxProbes` row
 * reads, whatever the corpus size; the deadline is checked between phases
 * and before every read.
 */
export function rankLexical(terms: readonly (LexicalTerm | undefined)[], reader: LexicalIndexReader, opts: RankOptions): LexicalRanking {
  const { avgdl } = reader.stats;
  const lengths = reader.docLengths();
  const scorer = new QueryScorer(terms, avgdl);
  const k = opts.k;
  // A partial list (df > its length) bounds the memories it leaves out by its last (smallest) contribution.
  const bounds = terms.map((t) => {
    const n = t?.champions.rowids.length ?? 0;
    if (!t || n === 0 || t.df <= n) return 0;
    return contribution(t.idf, t.champions.wtfs[n - 1]!, lengths[t.champions.rowids[n - 1]!] ?? 0, avgdl);
  });
  const outsideBound = bounds.reduce((a, b) => a + b, 0);

  // Scatter into per-memory accumulators (reused across queries, zeroed again below): no hashing per posting.
  const { lower, covered } = reader.scratch();
  const touched: number[] = [];
  terms.forEach((t, i) => {
    if (!t) return;
    const { rowids, wtfs } = t.champions;
    const b = bounds[i]!;
    for (let j = 0; j < rowids.length; j++) {
      const d = rowids[j]!;
      if (lower[d] === 0) touched.push(d);
      lower[d]! += contribution(t.idf, wtfs[j]!, lengths[d] ?? 0, avgdl);
      covered[d]! += b;
    }
  });
  const n = touched.length;
  const rowids = Uint32Array.from(touched);
  const upper = new Float64Array(n);
  const lowers = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    const d = rowids[c]!;
    lowers[c] = lower[d]!;
    upper[c] = lower[d]! + (outsideBound - covered[d]!);
    lower[d] = 0;
    covered[d] = 0;
  }
  if (opts.now() > opts.deadline) return { ranked: [], truncated: true, exact: false };
  // Without a filter, the k best lower bounds are reachable: whatever cannot reach the k-th is out.
  let floor = 0;
  if (!opts.accept && n > k) floor = lowers.slice().sort()[n - k]! * (1 - SLACK);
  // At most maxProbes candidates are ever read: only the best upper bounds need sorting.
  // Those left out are below capBound, which the k-th result must then beat too.
  const capBound = n > opts.maxProbes ? upper.slice().sort()[n - opts.maxProbes]! : 0;
  floor = Math.max(floor, capBound);
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (above(upper[i]!) >= floor) order.push(i);
  order.sort((a, b) => upper[b]! - upper[a]! || rowids[a]! - rowids[b]!);

  const top: ScoredRow[] = [];
  let truncated = false;
  let exhausted = false;
  let probes = 0;
  for (let at = 0; at < order.length;) {
    const batch: number[] = [];
    while (at < order.length && batch.length < PROBE_BATCH) {
      const i = order[at]!;
      if (top.length === k && above(upper[i]!) < top[k - 1]!.score) break;
      batch.push(rowids[i]!);
      at++;
    }
    if (batch.length === 0) break;
    if (probes >= opts.maxProbes) { exhausted = true; break; }
    if (opts.now() > opts.deadline) { truncated = true; break; }
    probes += batch.length;
    const accepted = opts.accept ? opts.accept(batch) : undefined;
    const docs = reader.docTerms(accepted ? batch.filter((d) => accepted.has(d)) : batch);
    for (const d of batch) {
      if (accepted && !accepted.has(d)) continue;
      insertTop(top, { rowid: d, score: scorer.score(docs.get(d)) }, k);
    }
  }
  const bestLeftOut = Math.max(outsideBound, capBound);
  const provenBest = bestLeftOut === 0 || (top.length === k && top[k - 1]!.score > above(bestLeftOut));
  return { ranked: top, truncated, exact: !truncated && !exhausted && provenBest };
}

/**
 * Exact top-k over a given set of memories (a selective filter's matches):
 * every one is scored from its stored terms; memories matching no token are
 * left out. Stops at the deadline (truncated).
 */
export function rankGiven(terms: readonly (LexicalTerm | undefined)[], reader: LexicalIndexReader, candidates: Iterable<number>,
  opts: Pick<RankOptions, "k" | "deadline" | "now">): { ranked: ScoredRow[]; truncated: boolean } {
  const top: ScoredRow[] = [];
  const scorer = new QueryScorer(terms, reader.stats.avgdl);
  const all = [...candidates];
  for (let at = 0; at < all.length; at += PROBE_BATCH) {
    if (opts.now() > opts.deadline) return { ranked: top, truncated: true };
    const batch = all.slice(at, at + PROBE_BATCH);
    const docs = reader.docTerms(batch);
    for (const d of batch) {
      const score = scorer.score(docs.get(d));
      if (score > 0) insertTop(top, { rowid: d, score }, opts.k);
    }
  }
  return { ranked: top, truncated: false };
}

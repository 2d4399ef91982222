import { type ChampionList, type DocTerms, type LexicalStats, contribution } from "./lexical-index";

/** One FTS5 token of the lexical index, as a query reads it. */
export interface LexicalTerm { id: number; df: number; idf: number; champions: ChampionList }

/** What the ranking reads from a lexical index (lexical-reader.ts reads it from SQLite). */
export interface LexicalIndexReader {
  readonly stats: LexicalStats;
  /** Token count of a memory (0 when unknown). */
  docLength(rowid: number): number;
  term(token: string): LexicalTerm | undefined;
  docTerms(rowid: number): DocTerms | undefined;
}

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
  /** A filter on memories (kinds, entities, dates); absent = every memory. */
  accept?: (rowid: number) => boolean;
  /** Most candidates scored exactly (each is one row read); the ranking stops there, not exact. */
  maxProbes: number;
  /** `now()` value past which the ranking stops and says truncated. */
  deadline: number;
  now: () => number;
}

// Float sums in another order may differ by a few ulps: bounds get this much slack so pruning stays safe.
const SLACK = 1e-9;
const above = (x: number) => x * (1 + SLACK);

/** Exact score of one memory for the query's tokens, summed in phrase order as FTS5 does (bit-equal to −bm25). */
export function exactScore(terms: readonly (LexicalTerm | undefined)[], doc: DocTerms | undefined, avgdl: number): number {
  if (!doc) return 0;
  let score = 0;
  for (const t of terms) {
    const f = t ? doc.wtf.get(t.id) : undefined;
    if (f) score += contribution(t!.idf, f, doc.length, avgdl);
  }
  return score;
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
  const k = opts.k;
  // A partial list (df > its length) bounds the memories it leaves out by its last (smallest) contribution.
  const bounds = terms.map((t) => {
    const n = t?.champions.rowids.length ?? 0;
    if (!t || n === 0 || t.df <= n) return 0;
    return contribution(t.idf, t.champions.wtfs[n - 1]!, reader.docLength(t.champions.rowids[n - 1]!), avgdl);
  });
  const outsideBound = bounds.reduce((a, b) => a + b, 0);

  const lower = new Map<number, number>();
  const covered = new Map<number, number>();
  terms.forEach((t, i) => {
    if (!t) return;
    const { rowids, wtfs } = t.champions;
    for (let j = 0; j < rowids.length; j++) {
      const d = rowids[j]!;
      lower.set(d, (lower.get(d) ?? 0) + contribution(t.idf, wtfs[j]!, reader.docLength(d), avgdl));
      if (bounds[i]! > 0) covered.set(d, (covered.get(d) ?? 0) + bounds[i]!);
    }
  });
  if (opts.now() > opts.deadline) return { ranked: [], truncated: true, exact: false };

  const n = lower.size;
  const rowids = new Uint32Array(n);
  const upper = new Float64Array(n);
  const lowers = new Float64Array(n);
  let c = 0;
  for (const [d, lb] of lower) {
    rowids[c] = d;
    lowers[c] = lb;
    upper[c] = lb + (outsideBound - (covered.get(d) ?? 0));
    c++;
  }
  // Without a filter, the k best lower bounds are reachable: whatever cannot reach the k-th is out.
  let floor = 0;
  if (!opts.accept && n > k) floor = lowers.slice().sort()[n - k]! * (1 - SLACK);
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (above(upper[i]!) >= floor) order.push(i);
  order.sort((a, b) => upper[b]! - upper[a]! || rowids[a]! - rowids[b]!);

  const top: ScoredRow[] = [];
  let truncated = false;
  let exhausted = false;
  let probes = 0;
  for (const i of order) {
    if (top.length === k && above(upper[i]!) < top[k - 1]!.score) break;
    if (probes >= opts.maxProbes) { exhausted = true; break; }
    if (opts.now() > opts.deadline) { truncated = true; break; }
    probes++;
    const d = rowids[i]!;
    if (opts.accept && !opts.accept(d)) continue;
    insertTop(top, { rowid: d, score: exactScore(terms, reader.docTerms(d), avgdl) }, k);
  }
  const provenBest = outsideBound === 0 || (top.length === k && top[k - 1]!.score > above(outsideBound));
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
  for (const d of candidates) {
    if (opts.now() > opts.deadline) return { ranked: top, truncated: true };
    const score = exactScore(terms, reader.docTerms(d), reader.stats.avgdl);
    if (score > 0) insertTop(top, { rowid: d, score }, opts.k);
  }
  return { ranked: top, truncated: false };
}

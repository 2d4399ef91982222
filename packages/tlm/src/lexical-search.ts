import { type ChampionList, type DocTerms, type LexicalStats, contribution } from "./lexical-index";

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
  /** Most candidates scored exactly; the ranking stops there, not exact. */
  maxProbes: number;
  /** Most champion entries read over all the query's tokens (each token gets an equal share, at least 64). */
  maxPostings: number;
  /** Memories to score first, whatever their bounds (e.g. those holding the query's strongest words together). */
  seeds?: readonly number[];
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
  private readonly phraseSlot: Int32Array;
  private readonly wtf: Float64Array;
  /** The query's distinct token ids, ascending; a memory's ids ascend too, so one merge walk finds them. */
  private readonly ids: Float64Array;

  constructor(private readonly terms: readonly (LexicalTerm | undefined)[], private readonly avgdl: number) {
    this.ids = Float64Array.from(new Set(terms.flatMap((t) => (t ? [t.id] : [])))).sort();
    this.phraseSlot = Int32Array.from(terms, (t) => (t ? this.ids.indexOf(t.id) : -1));
    this.wtf = new Float64Array(this.ids.length);
  }

  /** The memory's exact score (0 when it holds none of the tokens). */
  score(doc: DocTerms | undefined): number {
    if (!doc) return 0;
    const wtf = this.wtf;
    const ids = this.ids;
    wtf.fill(0);
    // The memory's pairs (forEachDocTerm, inlined without allocations or calls: this loop is the per-candidate cost),
    // merged against the query's ascending ids.
    const bytes = doc.bytes;
    const end = Math.min(doc.to, bytes.length);
    let cursor = 0;
    let id = 0;
    let pos = doc.from;
    while (pos < end && cursor < ids.length) {
      let delta = 0;
      let scale = 1;
      let byte = 0x80;
      while (byte >= 0x80 && pos < end) { byte = bytes[pos++]!; delta += (byte & 0x7f) * scale; scale *= 128; }
      let f = 0;
      scale = 1;
      byte = 0x80;
      while (byte >= 0x80 && pos < end) { byte = bytes[pos++]!; f += (byte & 0x7f) * scale; scale *= 128; }
      if (byte >= 0x80) break;
      id += delta;
      while (cursor < ids.length && ids[cursor]! < id) cursor++;
      if (cursor < ids.length && ids[cursor] === id) wtf[cursor] = f;
    }
    let score = 0;
    for (let i = 0; i < this.terms.length; i++) {
      const slot = this.phraseSlot[i]!;
      const f = slot < 0 ? 0 : this.wtf[slot]!;
      if (f) score += contribution(this.terms[i]!.idf, f, doc.length, this.avgdl);
    }
    return score;
  }
}

/**
 * The value of rank `rank` (0-based, ascending) of `values`, which it
 * reorders: Hoare's quickselect, linear on average (a full sort of 16 000
 * bounds costs more than the rest of a query).
 */
export function selectRank(values: Float64Array, rank: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot keeps sorted and flat inputs linear.
    const [a, b, c] = [values[lo]!, values[mid]!, values[hi]!];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (rank <= j) hi = j;
    else if (rank >= i) lo = i;
    else return values[rank]!;
  }
  return values[rank]!;
}

/** Keeps the best `k` rows, best first, by insertion (k ≤ 100). */
function insertTop(top: ScoredRow[], row: ScoredRow, k: number): void {
  let i = top.length;
  while (i > 0 && (top[i - 1]!.score < row.score || (top[i - 1]!.score === row.score && top[i - 1]!.rowid > row.rowid))) i--;
  if (i >= k) return;
  top.splice(i, 0, row);
  if (top.length > k) top.pop();
}

/** The fewest champion entries a token keeps when a many-word query shares the budget. */
const MIN_SHARE = 32;

/**
 * Fits the query's champion lists into `budget` entries: each keeps a prefix
 * (a shorter champion list, its last entry its bound), lists that fit keep
 * everything, and the rest share what is left in proportion to their idf —
 * the words that can move a score get the longer lists.
 */
function shareBudget(terms: readonly (LexicalTerm | undefined)[], budget: number): (LexicalTerm | undefined)[] {
  const len = (t: LexicalTerm | undefined) => t?.champions.rowids.length ?? 0;
  if (terms.reduce((a, t) => a + len(t), 0) <= budget) return [...terms];
  const keep = terms.map(len);
  let open = terms.map((t, i) => (t ? i : -1)).filter((i) => i >= 0);
  let left = budget;
  // Water-filling: lists shorter than their share keep everything and free the rest for the others.
  for (;;) {
    const weight = open.reduce((a, i) => a + terms[i]!.idf, 0);
    const share = (i: number) => Math.max(MIN_SHARE, Math.floor((left * terms[i]!.idf) / weight));
    const fits = open.filter((i) => len(terms[i]) <= share(i));
    if (fits.length === 0) {
      for (const i of open) keep[i] = Math.min(len(terms[i]), share(i));
      break;
    }
    for (const i of fits) left -= len(terms[i]);
    open = open.filter((i) => !fits.includes(i));
    if (open.length === 0) break;
  }
  return terms.map((t, i) => (t && keep[i]! < len(t)
    ? { ...t, champions: { rowids: t.champions.rowids.subarray(0, keep[i]), wtfs: t.champions.wtfs.subarray(0, keep[i]) } }
    : t));
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
  const k = opts.k;
  terms = shareBudget(terms, opts.maxPostings);
  const scorer = new QueryScorer(terms, avgdl);
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
  if (!opts.accept && n > k) floor = selectRank(lowers, n - k) * (1 - SLACK);
  // At most maxProbes candidates are ever read: only the best upper bounds need sorting.
  // Those left out are below capBound, which the k-th result must then beat too.
  const capBound = n > opts.maxProbes ? selectRank(upper.slice(), n - opts.maxProbes) : 0;
  floor = Math.max(floor, capBound);
  const order: number[] = [];
  let ties = opts.maxProbes;
  for (let i = 0; i < n; i++) if (upper[i]! > floor) ties--;
  // Candidates tied at the floor fill the remaining places only (a flat score distribution has thousands).
  let tiedOut = false;
  for (let i = 0; i < n; i++) {
    if (upper[i]! > floor) order.push(i);
    else if (above(upper[i]!) >= floor) {
      if (ties-- > 0) order.push(i);
      else tiedOut = true;
    }
  }
  order.sort((a, b) => upper[b]! - upper[a]! || rowids[a]! - rowids[b]!);

  const top: ScoredRow[] = [];
  let truncated = false;
  let exhausted = false;
  let probes = 0;
  // Seeds first: a memory holding several strong words often sits in none of their champion lists, and once scored it
  // raises the k-th score, which prunes (and may prove) the rest.
  const seeded = new Set(opts.seeds ?? []);
  const seeds = [...seeded].slice(0, opts.maxProbes);
  const score = (batch: number[]) => {
    probes += batch.length;
    const accepted = opts.accept ? opts.accept(batch) : undefined;
    const docs = reader.docTerms(accepted ? batch.filter((d) => accepted.has(d)) : batch);
    for (const d of batch) {
      if (accepted && !accepted.has(d)) continue;
      const exact = scorer.score(docs.get(d));
      if (exact > 0) insertTop(top, { rowid: d, score: exact }, k);
    }
  };
  for (let at = 0; at < seeds.length && !truncated; at += PROBE_BATCH) {
    if (opts.now() > opts.deadline) truncated = true;
    else score(seeds.slice(at, at + PROBE_BATCH));
  }
  for (let at = 0; at < order.length && !truncated;) {
    const batch: number[] = [];
    let reachedBound = false;
    while (at < order.length && batch.length < PROBE_BATCH) {
      const i = order[at]!;
      if (top.length === k && above(upper[i]!) < top[k - 1]!.score) { reachedBound = true; break; }
      if (!seeded.has(rowids[i]!)) batch.push(rowids[i]!);
      at++;
    }
    if (batch.length === 0) {
      if (reachedBound) break;
      continue;
    }
    if (probes >= opts.maxProbes) { exhausted = true; break; }
    if (opts.now() > opts.deadline) { truncated = true; break; }
    score(batch);
  }
  const bestLeftOut = Math.max(outsideBound, capBound, tiedOut ? floor : 0);
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

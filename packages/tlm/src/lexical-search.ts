import { type ChampionList, type DocTerms, type LexicalStats, contribution } from "./lexical-index";

/** One FTS5 token of the lexical index, as a query reads it. */
export interface LexicalTerm { id: number; df: number; idf: number; champions: ChampionList }

/** A {@link LexicalTerm}, always built here: one object shape keeps the ranking's hot loops monomorphic. */
export function lexicalTerm(id: number, df: number, idf: number, champions: ChampionList): LexicalTerm {
  return { id, df, idf, champions };
}

/** What the ranking reads from a lexical index (lexical-reader.ts reads it from SQLite). */
export interface LexicalIndexReader {
  readonly stats: LexicalStats;
  /** Token count of every memory, by row id. */
  docLengths(): Uint32Array;
  term(token: string): LexicalTerm | undefined;
  /** Two zeroed accumulators indexed by row id, reused by every query (the ranking zeroes what it touched). */
  scratch(): { lower: Float64Array; covered: Float64Array };
  /** Points `into` at memory `rowid`'s stored terms (no allocation); false when it has none. */
  docTerms(rowid: number, into: DocTerms): boolean;
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
  /** A filter on memories (kinds, entities, dates): the accepted subset of a batch (an array reused after the call); absent = every memory. */
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
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
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

/**
 * Sorts candidate slots by upper bound descending, then row id ascending, in
 * place: a quicksort on the typed array itself (a comparator passed to
 * `.sort()` boxes every double it returns, and that garbage is what makes
 * the collector pause queries).
 */
export function sortByBound(order: Uint32Array, upper: Float64Array, rowids: Uint32Array): void {
  const before = (a: number, b: number) => upper[a]! > upper[b]! || (upper[a] === upper[b] && rowids[a]! < rowids[b]!);
  const sort = (lo: number, hi: number): void => {
    while (hi - lo > 16) {
      // Median of three as the pivot; recurse into the smaller side, loop on the larger (stack depth ≤ log n).
      const mid = (lo + hi) >>> 1;
      let a = order[lo]!, b = order[mid]!, c = order[hi]!;
      if (before(b, a)) [a, b] = [b, a];
      if (before(c, b)) { [b, c] = [c, b]; if (before(b, a)) [a, b] = [b, a]; }
      const pivot = b;
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (before(order[i]!, pivot)) i++;
        while (before(pivot, order[j]!)) j--;
        if (i <= j) {
          const t = order[i]!;
          order[i] = order[j]!;
          order[j] = t;
          i++;
          j--;
        }
      }
      if (j - lo < hi - i) { sort(lo, j); lo = i; } else { sort(i, hi); hi = j; }
    }
    for (let i = lo + 1; i <= hi; i++) {
      const x = order[i]!;
      let j = i - 1;
      while (j >= lo && before(x, order[j]!)) { order[j + 1] = order[j]!; j--; }
      order[j + 1] = x;
    }
  };
  if (order.length > 1) sort(0, order.length - 1);
}

/** Keeps the best `k` rows, best first, by insertion (k ≤ 100). */
function insertTop(top: ScoredRow[], rowid: number, score: number, k: number): void {
  let i = top.length;
  while (i > 0 && (top[i - 1]!.score < score || (top[i - 1]!.score === score && top[i - 1]!.rowid > rowid))) i--;
  if (i >= k) return;
  // Shift by hand (splice allocates its result array); when full, the row falling off is reused.
  const row = top.length === k ? top.pop()! : { rowid: 0, score: 0 };
  row.rowid = rowid;
  row.score = score;
  top.push(row);
  for (let j = top.length - 1; j > i; j--) top[j] = top[j - 1]!;
  top[i] = row;
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
  if (terms.reduce((a, t) => a + len(t), 0) <= budget) return packed(terms, (t) => t);
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
  return packed(terms, (t, i) => (t && keep[i]! < len(t)
    ? lexicalTerm(t.id, t.df, t.idf, { rowids: t.champions.rowids.subarray(0, keep[i]), wtfs: t.champions.wtfs.subarray(0, keep[i]) })
    : t));
}

/**
 * `terms.map(f)` as an array built by `push`: always the same elements kind (packed). `map` builds a holey array and
 * a spread a packed one; the ranking's optimised code, compiled for one, was thrown away on the other (a "wrong map"
 * deopt, then ≈ 70 ms of recompiling on the machine's other core, and queries run unoptimised meanwhile).
 */
function packed(terms: readonly (LexicalTerm | undefined)[], f: (t: LexicalTerm | undefined, i: number) => LexicalTerm | undefined): (LexicalTerm | undefined)[] {
  const out: (LexicalTerm | undefined)[] = [];
  for (let i = 0; i < terms.length; i++) out.push(f(terms[i], i));
  return out;
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
  // Typed, not `terms.map`: an array of numbers changes elements kind (all 0 or some doubles), and optimised code with it.
  const bounds = new Float64Array(terms.length);
  let outsideBound = 0;
  let postings = 0;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i];
    const n = t?.champions.rowids.length ?? 0;
    postings += n;
    if (!t || n === 0 || t.df <= n) continue;
    bounds[i] = contribution(t.idf, t.champions.wtfs[n - 1]!, lengths[t.champions.rowids[n - 1]!] ?? 0, avgdl);
    outsideBound += bounds[i]!;
  }

  // Scatter into per-memory accumulators (reused across queries, zeroed again below): no hashing per posting.
  // Per-candidate arrays are reused too: a query allocates next to nothing, so the collector seldom pauses a query.
  const { lower, covered } = reader.scratch();
  const buf = candidateBuffers(postings, opts.maxProbes);
  const { rowids, upper, lowers } = buf;
  let n = 0;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i];
    if (!t) continue;
    const list = t.champions.rowids;
    const wtfs = t.champions.wtfs;
    const b = bounds[i]!;
    for (let j = 0; j < list.length; j++) {
      const d = list[j]!;
      if (lower[d] === 0) rowids[n++] = d;
      lower[d]! += contribution(t.idf, wtfs[j]!, lengths[d] ?? 0, avgdl);
      covered[d]! += b;
    }
  }
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
  if (!opts.accept && n > k) floor = selectRank(lowers.subarray(0, n), n - k) * (1 - SLACK);
  // At most maxProbes candidates are ever read: only the best upper bounds need sorting.
  // Those left out are below capBound, which the k-th result must then beat too.
  let capBound = 0;
  if (n > opts.maxProbes) {
    buf.select.set(upper.subarray(0, n));
    capBound = selectRank(buf.select.subarray(0, n), n - opts.maxProbes);
  }
  floor = Math.max(floor, capBound);
  let ties = opts.maxProbes;
  for (let i = 0; i < n; i++) if (upper[i]! > floor) ties--;
  // Candidates tied at the floor fill the remaining places only (a flat score distribution has thousands).
  let tiedOut = false;
  let m = 0;
  const slots = buf.order;
  for (let i = 0; i < n; i++) {
    if (upper[i]! > floor) slots[m++] = i;
    else if (above(upper[i]!) >= floor) {
      if (ties-- > 0) slots[m++] = i;
      else tiedOut = true;
    }
  }
  const order = slots.subarray(0, m);
  sortByBound(order, upper, rowids);

  const top: ScoredRow[] = [];
  let truncated = false;
  let exhausted = false;
  let probes = 0;
  // Seeds first: a memory holding several strong words often sits in none of their champion lists, and once scored it
  // raises the k-th score, which prunes (and may prove) the rest. Marked in `covered` (zeroed again at the end).
  const seeds = opts.seeds ?? [];
  let seedCount = 0;
  for (let i = 0; i < seeds.length && seedCount < opts.maxProbes; i++) {
    const d = seeds[i]!;
    if (covered[d] === 0) { covered[d] = 1; buf.seeds[seedCount++] = d; }
  }
  const batch = buf.batch;
  batch.length = 0;
  const doc = buf.doc;
  const score = () => {
    probes += batch.length;
    const accepted = opts.accept ? opts.accept(batch) : undefined;
    for (let i = 0; i < batch.length; i++) {
      const d = batch[i]!;
      if (accepted && !accepted.has(d)) continue;
      const exact = reader.docTerms(d, doc) ? scorer.score(doc) : 0;
      if (exact > 0) insertTop(top, d, exact, k);
    }
    batch.length = 0;
  };
  try {
    for (let at = 0; at < seedCount && !truncated; at += PROBE_BATCH) {
      if (opts.now() > opts.deadline) truncated = true;
      else {
        for (let i = at; i < Math.min(seedCount, at + PROBE_BATCH); i++) batch.push(buf.seeds[i]!);
        score();
      }
    }
    for (let at = 0; at < order.length && !truncated;) {
      let reachedBound = false;
      while (at < order.length && batch.length < PROBE_BATCH) {
        const i = order[at]!;
        if (top.length === k && above(upper[i]!) < top[k - 1]!.score) { reachedBound = true; break; }
        if (seedCount === 0 || covered[rowids[i]!] === 0) batch.push(rowids[i]!);
        at++;
      }
      if (batch.length === 0) {
        if (reachedBound) break;
        continue;
      }
      if (probes >= opts.maxProbes) { exhausted = true; break; }
      if (opts.now() > opts.deadline) { truncated = true; break; }
      score();
    }
  } finally {
    for (let i = 0; i < seedCount; i++) covered[buf.seeds[i]!] = 0;
    batch.length = 0;
  }
  const bestLeftOut = Math.max(outsideBound, capBound, tiedOut ? floor : 0);
  const provenBest = bestLeftOut === 0 || (top.length === k && top[k - 1]!.score > above(bestLeftOut));
  return { ranked: top, truncated, exact: !truncated && !exhausted && provenBest };
}

/** Per-candidate working arrays of {@link rankLexical}, grown on demand and reused (ranking is synchronous, never reentrant). */
interface CandidateBuffers {
  rowids: Uint32Array;
  upper: Float64Array;
  lowers: Float64Array;
  select: Float64Array;
  order: Uint32Array;
  seeds: Uint32Array;
  batch: number[];
  doc: DocTerms;
}

let buffers: CandidateBuffers | undefined;

function candidateBuffers(postings: number, maxSeeds: number): CandidateBuffers {
  const need = Math.max(postings, 1);
  if (!buffers || buffers.rowids.length < need || buffers.seeds.length < maxSeeds) {
    const size = Math.max(need, 4096);
    buffers = {
      rowids: new Uint32Array(size), upper: new Float64Array(size), lowers: new Float64Array(size), select: new Float64Array(size),
      order: new Uint32Array(size), seeds: new Uint32Array(Math.max(maxSeeds, 1024)), batch: [], doc: { length: 0, bytes: Buffer.alloc(0), from: 0, to: 0 },
    };
  }
  return buffers;
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
  const doc: DocTerms = { length: 0, bytes: Buffer.alloc(0), from: 0, to: 0 };
  let seen = 0;
  for (const d of candidates) {
    if (seen++ % PROBE_BATCH === 0 && opts.now() > opts.deadline) return { ranked: top, truncated: true };
    const score = reader.docTerms(d, doc) ? scorer.score(doc) : 0;
    if (score > 0) insertTop(top, d, score, opts.k);
  }
  return { ranked: top, truncated: false };
}

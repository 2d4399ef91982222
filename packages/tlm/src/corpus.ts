import type { MemoryRecord } from "./records";
import { MEMORY_KINDS } from "@recall/protocol";

/** A small deterministic PRNG (mulberry32): same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = ("service deploy release database cache queue latency error timeout retry config schema migration index " +
  "customer invoice payment billing search ingest pipeline worker cluster node region backup restore alert incident " +
  "dashboard metric log trace api client server token session auth login review test build flaky rollout rollback " +
  "feature flag experiment budget quota limit throughput memory disk network certificate dns proxy gateway storage " +
  "bucket upload export import report scheduler cron job batch stream event topic partition replica leader lag").split(" ");
const SYLLABLES = "ka lo mi ne ru ta ve zo pi da fe gu ho ji ku la mo na po qua ri se to vu wi xe yo zu bar cor dex fin gal".split(" ");
const SERVICES = ["billing-api", "search-svc", "auth-gateway", "ingest-worker", "notifier", "ledger", "web-app", "mobile-app", "data-lake", "scheduler"];
const PEOPLE = ["alice", "bob", "carol", "dmitri", "eve", "farah", "gustavo", "hana", "ivan", "jun", "kofi", "lena"];

function buildVocabulary(rand: () => number, size: number): string[] {
  const words = new Set<string>(COMMON);
  while (words.size < size) {
    const n = 2 + Math.floor(rand() * 3);
    let w = "";
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}

/** Options of {@link generateCorpus}. */
export interface CorpusOptions {
  /** Vocabulary size (default 20 000). */
  vocabulary?: number;
  /** Zipf exponent s (default {@link DEFAULT_ZIPF_S}): word of rank r drawn with probability ∝ 1/r^s. */
  zipf?: number;
  startMs?: number;
  spanMs?: number;
}

/** Default Zipf exponent: natural text sits near 1.0–1.1; at 1.07 the top word is in ~94 % of 20-word memories. */
export const DEFAULT_ZIPF_S = 1.07;

/**
 * A Zipf sampler over ranks 0…size−1 (rank r with probability ∝ 1/(r+1)^s):
 * the cumulative distribution once, then a binary search per draw.
 */
export function zipfSampler(size: number, s: number, rand: () => number): () => number {
  const cdf = new Float64Array(size);
  let sum = 0;
  for (let r = 0; r < size; r++) cdf[r] = sum += 1 / (r + 1) ** s;
  return () => {
    const u = rand() * sum;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * The vocabulary {@link generateCorpus} draws from for a seed, in rank
 * order (technical words first, then generated ones): for benchmarks that
 * draw queries from the same distribution.
 */
export function corpusVocabulary(seed = 1, size = 20_000): string[] {
  return buildVocabulary(seededRandom(seed), size);
}

/**
 * Generates `n` synthetic memories, deterministic for a given `seed`: texts of
 * 10–30 words drawn from a Zipf distribution (exponent `zipf`, default
 * {@link DEFAULT_ZIPF_S}) over a vocabulary (technical words plus generated
 * ones, default 20 000) — the top words occur in most memories, as in real
 * text — 0–3 entities (services and people),
 * every kind, `created_at` spread over 2025–2026. For benchmarks of any size;
 * ids are `syn-<n>`. Lazily produced, so millions cost no memory.
 */
export function* generateCorpus(n: number, seed = 1, opts: CorpusOptions = {}): Generator<MemoryRecord> {
  const rand = seededRandom(seed);
  const vocab = buildVocabulary(rand, opts.vocabulary ?? 20_000);
  const start = opts.startMs ?? Date.UTC(2025, 0, 1);
  const span = opts.spanMs ?? Date.UTC(2027, 0, 1) - start;
  const rank = zipfSampler(vocab.length, opts.zipf ?? DEFAULT_ZIPF_S, rand);
  const pick = () => vocab[rank()]!;
  for (let i = 0; i < n; i++) {
    const len = 10 + Math.floor(rand() * 21);
    const words: string[] = [];
    for (let w = 0; w < len; w++) words.push(pick());
    const entities: string[] = [];
    const ne = Math.floor(rand() * 4);
    for (let e = 0; e < ne; e++) {
      const pool = rand() < 0.6 ? SERVICES : PEOPLE;
      const v = pool[Math.floor(rand() * pool.length)]!;
      if (!entities.includes(v)) entities.push(v);
    }
    const text = words.join(" ");
    yield {
      id: `syn-${i}`,
      text: text.charAt(0).toUpperCase() + text.slice(1) + ".",
      kind: MEMORY_KINDS[Math.floor(rand() * MEMORY_KINDS.length)]!,
      ...(entities.length ? { entities } : {}),
      created_at: new Date(start + Math.floor(rand() * span)).toISOString(),
      ...(rand() < 0.3 ? { source_ref: `synthetic://doc/${Math.floor(rand() * 10_000)}` } : {}),
    };
  }
}

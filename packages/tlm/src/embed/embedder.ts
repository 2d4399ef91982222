/**
 * Something that turns texts into unit-length vectors. `id` names the model and
 * its version; vectors from two embedders with different ids are never compared.
 */
export interface Embedder {
  readonly id: string;
  /** Embeds `texts` in order; rejects (or throws) when the embedder cannot answer. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** Scales `v` to unit length in place (a zero vector stays zero) and returns it. */
export function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  if (sum === 0) return v;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

/** Dot product of two equal-length vectors. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * `a · b[at .. at + a.length)` with four partial sums: the scalar hot loop of
 * the vector index (every vector against every centroid at build; int8 rows
 * where WebAssembly SIMD is missing).
 */
export function dotAt(a: ArrayLike<number>, b: ArrayLike<number>, at: number): number {
  const dims = a.length;
  const tail = dims - (dims % 4);
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let d = 0;
  for (; d < tail; d += 4) {
    s0 += a[d]! * b[at + d]!;
    s1 += a[d + 1]! * b[at + d + 1]!;
    s2 += a[d + 2]! * b[at + d + 2]!;
    s3 += a[d + 3]! * b[at + d + 3]!;
  }
  for (; d < dims; d++) s0 += a[d]! * b[at + d]!;
  return s0 + s1 + s2 + s3;
}

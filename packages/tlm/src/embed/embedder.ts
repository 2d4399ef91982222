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

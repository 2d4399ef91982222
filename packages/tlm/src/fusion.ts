/** The reciprocal-rank-fusion constant (Cormack et al. 2009's k = 60; not tuned on our sets). */
export const RRF_K = 60;

/** One fused entry: its key, fusion score and 1-based ranks in each input list. */
export interface Fused<K> { key: K; score: number; lexicalRank?: number; vectorRank?: number }

/**
 * Reciprocal rank fusion of a lexical and a vector ranking (best first):
 * score = Σ 1/(k + rank). Ties keep lexical order first, then vector order,
 * so the result is deterministic. Keys appearing twice in one list count once
 * (their best rank).
 */
export function fuseRankings<K>(lexical: readonly K[], vector: readonly K[], k: number = RRF_K): Fused<K>[] {
  const byKey = new Map<K, Fused<K> & { order: number }>();
  let order = 0;
  const add = (list: readonly K[], which: "lexicalRank" | "vectorRank"): void => {
    list.forEach((key, i) => {
      let e = byKey.get(key);
      if (!e) { e = { key, score: 0, order: order++ }; byKey.set(key, e); }
      if (e[which] !== undefined) return;
      e[which] = i + 1;
      e.score += 1 / (k + i + 1);
    });
  };
  add(lexical, "lexicalRank");
  add(vector, "vectorRank");
  return [...byKey.values()]
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .map(({ order: _order, ...rest }) => rest);
}

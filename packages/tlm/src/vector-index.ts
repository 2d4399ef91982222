import type Database from "better-sqlite3";
import { dotAt, normalise } from "./embed/embedder";
import { Int8Rows } from "./int8-dot";

/**
 * DDL of the vector index inside `memories.db`: one row per blob (see
 * {@link VECTOR_KEYS}). Absent or empty in bundles built without vectors.
 */
export const VECTOR_SCHEMA_SQL = `
CREATE TABLE memory_vectors (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
`;

/** Blob keys of `memory_vectors`. */
export const VECTOR_KEYS = ["info", "mean", "centroids", "list_offsets", "rowids", "scales", "codes"] as const;

/** What the `info` blob (JSON) records. */
export interface VectorIndexInfo { format: 1; embedder: string; dims: number; count: number; lists: number }

/** Fixed cost bounds of a vector search. */
export const VECTOR_SEARCH = Object.freeze({
  /** Below this many vectors the index is one list (exact scan). */
  exactBelow: 4096,
  /** Most lists (clusters) an index has. */
  maxLists: 1024,
  /** Lists probed per query. */
  probes: 12,
  /** Most vectors scored per query, whatever the list sizes. */
  maxScanned: 16_000,
  /** k-means at build: at most this many sample points, this many per list, this many rounds. */
  trainSample: 16_384,
  trainPerList: 32,
  trainRounds: 6,
});

/**
 * Number of IVF lists for `count` vectors: 1 below {@link VECTOR_SEARCH.exactBelow},
 * else ~√count / 2 (fewer, larger lists: the build assigns every vector to its
 * nearest list, count × lists dot products, while a search scans at most
 * {@link VECTOR_SEARCH.maxScanned} vectors either way).
 */
export function listCount(count: number): number {
  if (count < VECTOR_SEARCH.exactBelow) return 1;
  return Math.min(VECTOR_SEARCH.maxLists, Math.round(Math.sqrt(count) / 2));
}

/** Quantises a unit vector to int8 with one scale (max |x| / 127); returns the scale. */
export function quantise(v: Float32Array, out: Int8Array, at: number): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const scale = max / 127 || 1;
  for (let i = 0; i < v.length; i++) out[at + i] = Math.round(v[i]! / scale);
  return scale;
}

/** Subtracts the corpus mean and scales to unit length (the index's only transform). */
export function centre(v: ArrayLike<number>, mean: Float32Array): Float32Array {
  const out = new Float32Array(mean.length);
  for (let i = 0; i < mean.length; i++) out[i] = v[i]! - mean[i]!;
  return normalise(out);
}

// Deterministic PRNG (mulberry32) so the same memories always build the same index.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function nearest(v: Float32Array, centroids: Float32Array, lists: number, dims: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < lists; c++) {
    // The hot loop of a build: every vector against every centroid.
    const s = dotAt(v, centroids, c * dims);
    if (s > bestScore) { bestScore = s; best = c; }
  }
  return best;
}

/** Spherical k-means over a deterministic sample: unit centroids. */
export function trainCentroids(vectors: readonly Float32Array[], lists: number, dims: number): Float32Array {
  const centroids = new Float32Array(lists * dims);
  if (lists === 1) return centroids;
  const rand = rng(0x5eed);
  const sample: Float32Array[] = [];
  const want = Math.min(VECTOR_SEARCH.trainSample, lists * VECTOR_SEARCH.trainPerList);
  const step = Math.max(1, Math.floor(vectors.length / want));
  for (let i = 0; i < vectors.length && sample.length < want; i += step) sample.push(vectors[i]!);
  for (let c = 0; c < lists; c++) centroids.set(sample[Math.floor(rand() * sample.length)]!, c * dims);
  const sums = new Float64Array(lists * dims);
  const sizes = new Uint32Array(lists);
  for (let round = 0; round < VECTOR_SEARCH.trainRounds; round++) {
    sums.fill(0);
    sizes.fill(0);
    for (const v of sample) {
      const c = nearest(v, centroids, lists, dims);
      sizes[c]!++;
      for (let d = 0; d < dims; d++) sums[c * dims + d]! += v[d]!;
    }
    for (let c = 0; c < lists; c++) {
      // An empty list takes a random sample point so no probe is wasted.
      const row = sizes[c] === 0 ? sample[Math.floor(rand() * sample.length)]! : Float32Array.from(sums.subarray(c * dims, (c + 1) * dims));
      centroids.set(normalise(Float32Array.from(row)), c * dims);
    }
  }
  return centroids;
}

/** The blobs of an index built from `vectors` (unit or not) of the memories `rowids`. */
export function buildIndexBlobs(embedder: string, dims: number, rowids: readonly number[], vectors: readonly Float32Array[]): Map<string, Buffer> {
  const count = vectors.length;
  const mean = new Float32Array(dims);
  for (const v of vectors) for (let d = 0; d < dims; d++) mean[d]! += v[d]! / count;
  const centred = vectors.map((v) => centre(v, mean));
  const lists = listCount(count);
  const centroids = trainCentroids(centred, lists, dims);
  const assign = centred.map((v) => (lists === 1 ? 0 : nearest(v, centroids, lists, dims)));
  const offsets = new Uint32Array(lists + 1);
  for (const c of assign) offsets[c + 1]!++;
  for (let c = 0; c < lists; c++) offsets[c + 1]! += offsets[c]!;
  const fill = offsets.slice(0, lists);
  const ids = new Uint32Array(count);
  const scales = new Float32Array(count);
  const codes = new Int8Array(count * dims);
  centred.forEach((v, i) => {
    const at = fill[assign[i]!]!++;
    ids[at] = rowids[i]!;
    scales[at] = quantise(v, codes, at * dims);
  });
  const info: VectorIndexInfo = { format: 1, embedder, dims, count, lists };
  const buf = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return new Map<string, Buffer>([
    ["info", Buffer.from(JSON.stringify(info))],
    ["mean", buf(mean)], ["centroids", buf(centroids)], ["list_offsets", buf(offsets)],
    ["rowids", buf(ids)], ["scales", buf(scales)], ["codes", buf(codes)],
  ]);
}

/** Writes index blobs into an open, writable `memories.db` (its `memory_vectors` table must exist). */
export function writeIndexBlobs(db: Database.Database, blobs: Map<string, Buffer>): void {
  const put = db.prepare("INSERT OR REPLACE INTO memory_vectors (key, value) VALUES (?, ?)");
  db.transaction(() => { for (const [k, v] of blobs) put.run(k, v); })();
}

/** One vector hit: the memory's rowid and its cosine similarity to the query (after centring). */
export interface VectorHit { rowid: number; similarity: number }

type TypedCtor<T> = { new (buf: ArrayBufferLike, offset?: number, length?: number): T; readonly BYTES_PER_ELEMENT: number };

// A view on the blob when it is aligned for the element size (large blobs own their buffer), else an aligned copy.
function typed<T>(blob: Buffer, Ctor: TypedCtor<T>): T {
  const size = Ctor.BYTES_PER_ELEMENT;
  if (blob.byteOffset % size === 0) return new Ctor(blob.buffer, blob.byteOffset, blob.byteLength / size);
  const copy = new ArrayBuffer(blob.byteLength);
  new Uint8Array(copy).set(blob);
  return new Ctor(copy);
}

/** The blobs of `memory_vectors` rows by key, checked against their `info`; null when there is no `info`; throws when inconsistent. */
function checkRows(rows: readonly { key: string; value: Uint8Array }[]): { info: VectorIndexInfo; blobs: Map<string, Buffer> } | null {
  const blobs = new Map<string, Buffer>();
  for (const r of rows) blobs.set(r.key, Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength));
  if (!blobs.has("info")) return null;
  const info = JSON.parse(blobs.get("info")!.toString("utf8")) as VectorIndexInfo;
  const { dims, count, lists } = info;
  const want: Record<string, number> = {
    mean: dims * 4, centroids: lists * dims * 4, list_offsets: (lists + 1) * 4, rowids: count * 4, scales: count * 4, codes: count * dims,
  };
  for (const [k, n] of Object.entries(want)) {
    if (blobs.get(k)?.byteLength !== n) throw new Error(`memory_vectors.${k} has ${blobs.get(k)?.byteLength ?? 0} bytes, expected ${n}`);
  }
  return { info, blobs };
}

/**
 * A loaded IVF index over int8 vectors: {@link search} probes the
 * {@link VECTOR_SEARCH.probes} nearest lists, scoring at most
 * {@link VECTOR_SEARCH.maxScanned} vectors, so its cost is bounded whatever
 * the bundle size.
 */
export class VectorIndex {
  readonly info: VectorIndexInfo;
  private readonly mean: Float32Array;
  private readonly centroids: Float32Array;
  private readonly offsets: Uint32Array;
  private readonly rowids: Uint32Array;
  private readonly scales: Float32Array;
  // The int8 codes, held by the dot-product kernel (src/int8-dot.ts).
  private readonly codes: Int8Rows;

  private constructor(info: VectorIndexInfo, blobs: Map<string, Buffer>, codes: Int8Rows) {
    this.info = info;
    this.mean = typed(blobs.get("mean")!, Float32Array);
    this.centroids = typed(blobs.get("centroids")!, Float32Array);
    this.offsets = typed(blobs.get("list_offsets")!, Uint32Array);
    this.rowids = typed(blobs.get("rowids")!, Uint32Array);
    this.scales = typed(blobs.get("scales")!, Float32Array);
    this.codes = codes;
  }

  /**
   * Reads the index of an open `memories.db` in one pass over its blobs. Returns
   * null when the database has no vectors (no table, or an empty one) and throws
   * when the blobs are inconsistent.
   */
  static read(db: Database.Database): VectorIndex | null {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_vectors'").get() !== undefined;
    if (!hasTable) return null;
    return VectorIndex.fromRows(db.prepare("SELECT key, value FROM memory_vectors").all() as { key: string; value: Uint8Array }[]);
  }

  /**
   * The index from the rows of `memory_vectors` (`key`, `value`), read
   * elsewhere (a worker thread, warm-up.ts). Same checks as {@link read}.
   */
  static fromRows(rows: readonly { key: string; value: Uint8Array }[]): VectorIndex | null {
    const checked = checkRows(rows);
    if (!checked) return null;
    const { info, blobs } = checked;
    return new VectorIndex(info, blobs, new Int8Rows(typed(blobs.get("codes")!, Int8Array), info.count, info.dims));
  }

  /**
   * {@link fromRows} with the int8 codes copied into the dot-product kernel a
   * slice at a time, a turn of the event loop (`turn`) between slices
   * (Int8Rows.build): a server assembling a warm-up's read keeps answering.
   */
  static async fromRowsSliced(rows: readonly { key: string; value: Uint8Array }[], turn: () => Promise<unknown>): Promise<VectorIndex | null> {
    const checked = checkRows(rows);
    if (!checked) return null;
    const { info, blobs } = checked;
    return new VectorIndex(info, blobs, await Int8Rows.build(typed(blobs.get("codes")!, Int8Array), info.count, info.dims, turn));
  }

  /**
   * The `k` memories most similar to `query` (same embedder, `dims` values),
   * best first. `bounds` override {@link VECTOR_SEARCH}'s `probes` and `maxScanned`.
   */
  search(query: ArrayLike<number>, k: number, bounds: { probes?: number; maxScanned?: number } = {}): VectorHit[] {
    const probes = bounds.probes ?? VECTOR_SEARCH.probes;
    const maxScanned = bounds.maxScanned ?? VECTOR_SEARCH.maxScanned;
    const { dims, lists } = this.info;
    const q = centre(query, this.mean);
    // The nearest `probes` centroids, best first (ties: lower list first), kept by insertion: no per-centroid objects.
    const probe: number[] = [];
    const near: number[] = [];
    for (let c = 0; c < lists; c++) {
      const s = lists === 1 ? 0 : dotAt(q, this.centroids, c * dims);
      if (probe.length >= probes && s <= near[near.length - 1]!) continue;
      let at = probe.length;
      while (at > 0 && near[at - 1]! < s) at--;
      probe.splice(at, 0, c);
      near.splice(at, 0, s);
      if (probe.length > probes) { probe.pop(); near.pop(); }
    }
    // A bounded min-heap would do; k is small (≤ a few hundred), so a sorted insert into a short array is enough.
    const top: VectorHit[] = [];
    let floor = -Infinity;
    let scanned = 0;
    const { codes, scales, offsets, rowids } = this;
    for (const c of probe) {
      const start = offsets[c]!;
      const end = Math.min(offsets[c + 1]!, start + (maxScanned - scanned));
      if (end <= start) continue;
      // The kernel scores the whole run; this loop only keeps the best k.
      const { scores, scale } = codes.dots(q, start, end);
      for (let j = 0, i = start; i < end; j++, i++) {
        const s = scores[j]! * scales[i]! * scale;
        if (top.length >= k && s <= floor) continue;
        let at = top.length;
        while (at > 0 && top[at - 1]!.similarity < s) at--;
        // Shift by hand (splice allocates its result); when full, the hit falling off is reused.
        const hit = top.length >= k ? top.pop()! : { rowid: 0, similarity: 0 };
        hit.rowid = rowids[i]!;
        hit.similarity = s;
        top.push(hit);
        for (let m = top.length - 1; m > at; m--) top[m] = top[m - 1]!;
        top[at] = hit;
        if (top.length >= k) floor = top[top.length - 1]!.similarity;
      }
      scanned += end - start;
      if (scanned >= maxScanned) break;
    }
    return top;
  }
}

/**
 * The lexical index `tlm bundle build` precomputes next to FTS5 so that any
 * query costs a bounded amount (docs/bundle-format.md): for every FTS5 token,
 * its *champion list* — the memories where its bm25 contribution is highest,
 * impact-ordered (Manning, Raghavan & Schütze, *Introduction to Information
 * Retrieval* §7.1) — and, for every memory, its tokens with their weighted
 * frequencies, so a candidate's exact score is one row read away.
 *
 * This file holds the pure parts both sides share: the bm25 arithmetic (the
 * same expression, in the same order, as FTS5's `bm25()`, so scores are equal
 * bit for bit) and the blob codecs.
 */

/** Column weights for bm25(text, entities): a word naming an entity counts double. */
export const BM25_WEIGHTS = [1.0, 2.0] as const;

/** FTS5's bm25 constants (fts5_aux.c). */
const K1 = 1.2;
const B = 0.75;

/** Default champion list length: the most memories a token's list holds. */
export const DEFAULT_CHAMPION_SIZE = 512;

/** Whole-index numbers a query needs besides the token rows. */
export interface LexicalStats {
  /** Rows of the FTS5 index (FTS5's `xRowCount`). */
  rows: number;
  /** Mean tokens per memory over every column (FTS5's `avgdl`). */
  avgdl: number;
  /** Longest champion list (lists of tokens held by more memories are partial). */
  championSize: number;
}

/**
 * FTS5's idf: `ln((N − n + 0.5) / (n + 0.5))`, floored at 1e-6 (a token held
 * by most memories still counts a little). The build computes it with
 * SQLite's own `ln()` so it matches `bm25()` exactly; this is the same formula.
 */
export function idf(rows: number, df: number): number {
  const v = Math.log((rows - df + 0.5) / (df + 0.5));
  return v <= 0 ? 1e-6 : v;
}

/**
 * One token's bm25 contribution to one memory: `idf × f(1+k1) / (f + k1(1 − b + b·D/avgdl))`,
 * written exactly as FTS5 writes it. `wtf` is the weighted frequency
 * (Σ column weight × occurrences), `length` the memory's token count.
 */
export function contribution(idfValue: number, wtf: number, length: number, avgdl: number): number {
  return idfValue * ((wtf * (K1 + 1.0)) / (wtf + K1 * (1 - B + B * length / avgdl)));
}

/** A champion list: memories (row ids) and their weighted frequencies, by contribution descending then row id. */
export interface ChampionList { rowids: Uint32Array; wtfs: Uint32Array }

/** Packs a champion list: n row ids then n weighted frequencies, u32 little-endian. */
export function encodeChampions(rowids: ArrayLike<number>, wtfs: ArrayLike<number>, n: number): Buffer {
  const buf = Buffer.allocUnsafe(n * 8);
  for (let i = 0; i < n; i++) {
    buf.writeUInt32LE(rowids[i]!, i * 4);
    buf.writeUInt32LE(wtfs[i]!, (n + i) * 4);
  }
  return buf;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Reads a blob written by {@link encodeChampions}; a blob whose size is not a multiple of 8 is empty. */
export function decodeChampions(blob: Buffer): ChampionList {
  const n = blob.length % 8 === 0 ? blob.length / 8 : 0;
  if (LITTLE_ENDIAN) {
    // One copy into an aligned buffer, then views: no per-entry work.
    const words = new Uint32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + n * 8));
    return { rowids: words.subarray(0, n), wtfs: words.subarray(n, 2 * n) };
  }
  const rowids = new Uint32Array(n);
  const wtfs = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    rowids[i] = blob.readUInt32LE(i * 4);
    wtfs[i] = blob.readUInt32LE((n + i) * 4);
  }
  return { rowids, wtfs };
}

/** Appends an unsigned LEB128 varint. */
function pushVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/**
 * Packs a memory's terms: its length, then (token id delta, weighted
 * frequency) pairs by ascending token id, all unsigned LEB128 varints.
 */
export function encodeDocTerms(length: number, ids: ArrayLike<number>, wtfs: ArrayLike<number>, from: number, to: number): Buffer {
  const out: number[] = [];
  pushVarint(out, length);
  let prev = 0;
  for (let i = from; i < to; i++) {
    pushVarint(out, ids[i]! - prev);
    pushVarint(out, wtfs[i]!);
    prev = ids[i]!;
  }
  return Buffer.from(out);
}

/** Memories per `lex_doc_chunks` row: row id r lives in chunk r >>> DOC_CHUNK_BITS. */
export const DOC_CHUNK_BITS = 16;

/**
 * Packs the term blobs ({@link encodeDocTerms}) of one chunk of memories
 * (at most 2^DOC_CHUNK_BITS, the first at row id chunk << DOC_CHUNK_BITS):
 * a u32 count n, n + 1 u32 offsets into the data that follows, then the
 * blobs, all little-endian; a memory without terms has an empty blob.
 */
export function encodeDocChunk(blobs: readonly (Buffer | undefined)[]): Buffer {
  const n = blobs.length;
  const header = Buffer.alloc((n + 2) * 4);
  header.writeUInt32LE(n, 0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    header.writeUInt32LE(offset, (i + 1) * 4);
    offset += blobs[i]?.length ?? 0;
  }
  header.writeUInt32LE(offset, (n + 1) * 4);
  return Buffer.concat([header, ...blobs.filter((b): b is Buffer => b !== undefined)]);
}

/** The terms of memory `rowid` from its chunk ({@link encodeDocChunk}); undefined when it has none or the chunk is malformed. */
export function docTermsInChunk(chunk: Buffer, rowid: number): DocTerms | undefined {
  const doc: DocTerms = { length: 0, bytes: chunk, from: 0, to: 0 };
  return docTermsInto(chunk, rowid, doc) ? doc : undefined;
}

/**
 * {@link docTermsInChunk} without allocating: points `into` at memory
 * `rowid`'s terms and returns true, or returns false (no terms, malformed
 * chunk). The query's hot loop reads hundreds of memories this way.
 */
export function docTermsInto(chunk: Buffer, rowid: number, into: DocTerms): boolean {
  const i = rowid & ((1 << DOC_CHUNK_BITS) - 1);
  if (chunk.length < 4) return false;
  const n = u32At(chunk, 0);
  const base = (n + 2) * 4;
  if (i >= n || chunk.length < base) return false;
  // Both offsets lie in the header (i + 2 <= n + 1), which the check above proved is in the chunk.
  const from = base + u32At(chunk, (i + 1) * 4);
  const to = base + u32At(chunk, (i + 2) * 4);
  if (!(to > from && to <= chunk.length)) return false;
  splitDocTerms(chunk, from, to, into);
  return true;
}

/**
 * The little-endian uint32 at `o` (the caller has checked `o + 4 <= bytes.length`). Buffer's
 * readUInt32LE checks the bounds again and is a call on the query's hottest path (each candidate scored).
 */
function u32At(bytes: Uint8Array, o: number): number {
  return (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16)) + bytes[o + 3]! * 0x1000000;
}

/** A memory's stored terms: its length and where its (token id delta, weighted frequency) varint pairs lie in `bytes`, undecoded. */
export interface DocTerms { length: number; bytes: Buffer; from: number; to: number }

/** Reads the unsigned LEB128 varint at `pos`: [value, next position], or undefined when the buffer ends first. */
function readVarint(buf: Buffer, pos: number, end = buf.length): [number, number] | undefined {
  let v = 0;
  let scale = 1;
  while (pos < end) {
    const byte = buf[pos++]!;
    v += (byte & 0x7f) * scale;
    if (byte < 0x80) return [v, pos];
    scale *= 128;
  }
  return undefined;
}

/** Splits a blob written by {@link encodeDocTerms} (at `from`…`to` of `bytes`) into its length and its pairs, without copying. */
export function decodeDocTerms(bytes: Buffer, from = 0, to = bytes.length): DocTerms {
  const doc: DocTerms = { length: 0, bytes, from: to, to };
  splitDocTerms(bytes, from, to, doc);
  return doc;
}

/** Fills `into` with the blob's length varint and the span of its pairs (a truncated length: length 0, no pairs). */
function splitDocTerms(bytes: Buffer, from: number, to: number, into: DocTerms): void {
  const end = Math.min(to, bytes.length);
  let v = 0;
  let scale = 1;
  let pos = from;
  into.bytes = bytes;
  into.to = to;
  while (pos < end) {
    const byte = bytes[pos++]!;
    v += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      into.length = v;
      into.from = pos;
      return;
    }
    scale *= 128;
  }
  into.length = 0;
  into.from = to;
}

/** Calls `visit(token id, weighted frequency)` for each pair, ascending ids; a truncated pair ends the walk. */
export function forEachDocTerm(doc: DocTerms, visit: (id: number, wtf: number) => void): void {
  let id = 0;
  const end = Math.min(doc.to, doc.bytes.length);
  for (let pos = doc.from; pos < end;) {
    const delta = readVarint(doc.bytes, pos, end);
    if (!delta) return;
    const f = readVarint(doc.bytes, delta[1], end);
    if (!f) return;
    id += delta[0];
    pos = f[1];
    visit(id, f[0]);
  }
}

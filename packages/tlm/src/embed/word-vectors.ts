import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { assetPath } from "../assets";
import { TlmError } from "../errors";
import { nextTurn } from "../next-turn";

/** The compact word-vector table shipped in `assets/` (see scripts/compile-word-vectors.mjs). */
export interface WordVectorTable {
  readonly dims: number;
  readonly count: number;
  /** Row index of a lower-cased word; the index is also its corpus-frequency rank (0 = most frequent). */
  readonly index: WordIndex;
  readonly scales: Float32Array;
  readonly rows: Int8Array;
}

/** Row index by word: a `Map` (loadWordVectors), or a {@link WordLookup} over the file's bytes (a warm-up). */
export interface WordIndex {
  get(word: string): number | undefined;
  has(word: string): boolean;
  readonly size: number;
}

/** File name of the word-vector table inside the package's `assets/`. */
export const WORD_VECTORS_FILE = "word-vectors-100d.bin";

/** Path of the word-vector table inside the installed package's `assets/`. */
export function defaultWordVectorsPath(): string {
  return assetPath(WORD_VECTORS_FILE);
}

/**
 * Reads a word-vector table (`RCWV` v1: header, f32 scales, i8 rows, words).
 * Throws `TlmError` `TLM_EMBEDDER_UNAVAILABLE` when the file is missing or malformed.
 */
export function loadWordVectors(path: string = defaultWordVectorsPath()): WordVectorTable & { readonly index: ReadonlyMap<string, number> } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (cause) {
    throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `cannot read word vectors at ${path}: ${(cause as Error).message}`, { cause });
  }
  const { wordsAt, count, build } = parseWordVectors(buf, path);
  const words = buf.toString("utf8", wordsAt).split("\n");
  if (words.length !== count) throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `${path}: ${words.length} words for ${count} rows`);
  const index = new Map<string, number>();
  // The first of equal words keeps its row, as in the warm-up's lookup.
  words.forEach((w, i) => { if (!index.has(w)) index.set(w, i); });
  return { ...build(index), index };
}

/**
 * {@link loadWordVectors} from bytes read elsewhere (warm-up.ts reads the file
 * on a worker thread). The word index is a {@link WordLookup} over the file's
 * own bytes (no string per word: splitting 60 000 words and filling a `Map`
 * held the event loop ≈ 30 ms, and more under load, mostly in the collector),
 * built `slice` bytes at a time with a turn of the event loop between slices,
 * so a request arriving meanwhile waits for one slice at most. For the shipped
 * table, the lookup is shared with {@link knownWords}: whichever is built first serves both.
 */
export async function wordVectorsFromBytes(bytes: Uint8Array, path: string, slice = WARM_SLICE_BYTES): Promise<WordVectorTable> {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { wordsAt, count, build } = parseWordVectors(buf, path);
  const shipped = path === defaultWordVectorsPath();
  // The typo list's lookup (knownWords) is over the same words, its line numbers the rows: when it holds every row
  // (one distinct word per line), it serves as is instead of hashing the words a second time.
  if (shipped && known?.size === count) return build(known);
  const builder = wordLookupBuilder(buf.subarray(wordsAt));
  while (!builder.step(slice)) await nextTurn();
  const lookup = builder.result();
  if (builder.lines() !== count) throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `${path}: ${builder.lines()} words for ${count} rows`);
  if (shipped) known ??= lookup;
  return build(lookup);
}

const LITTLE_ENDIAN = endianness() === "LE";

/** Bytes of a word list a warm-up hashes between two turns of the event loop (≈ 1 ms; several warm-ups share each turn). */
export const WARM_SLICE_BYTES = 8 * 1024;

/** Size of the `RCWV` v1 header: magic, version, a spare byte, dims (u16), count (u32). */
const HEADER_BYTES = 12;

/**
 * The layout an `RCWV` v1 header announces for a file of `size` bytes: scales at 12, rows after them, the words last.
 * Throws `TlmError` `TLM_EMBEDDER_UNAVAILABLE` when the header is not one or the file is shorter than it says.
 */
function readHeader(head: Buffer, size: number, path: string): { dims: number; count: number; rowsAt: number; wordsAt: number } {
  if (head.length < HEADER_BYTES || head.toString("latin1", 0, 4) !== "RCWV" || head.readUInt8(4) !== 1) {
    throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `${path} is not a word-vector table (RCWV v1)`);
  }
  const dims = head.readUInt16LE(6);
  const count = head.readUInt32LE(8);
  const rowsAt = HEADER_BYTES + count * 4;
  const wordsAt = rowsAt + count * dims;
  if (dims === 0 || wordsAt > size) throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `${path} is truncated`);
  return { dims, count, rowsAt, wordsAt };
}

/** Checks the header and reads the scales; `build` makes the table once the word index is filled. */
function parseWordVectors(buf: Buffer, path: string): { wordsAt: number; count: number; build: (index: WordIndex) => WordVectorTable } {
  const { dims, count, rowsAt, wordsAt } = readHeader(buf, buf.length, path);
  const scalesAt = HEADER_BYTES;
  const scales = new Float32Array(count);
  // The file is little-endian: on a little-endian machine its bytes are the array's (one copy, not 60 000 reads).
  if (LITTLE_ENDIAN) new Uint8Array(scales.buffer).set(buf.subarray(scalesAt, scalesAt + count * 4));
  else for (let i = 0; i < count; i++) scales[i] = buf.readFloatLE(scalesAt + i * 4);
  const rows = new Int8Array(buf.buffer, buf.byteOffset + rowsAt, count * dims);
  return { wordsAt, count, build: (index) => ({ dims, count, index, scales, rows }) };
}

/**
 * Membership of words (as UTF-8 bytes) in a newline-separated list, without a
 * string per word; `get` is a word's line number (0-based; the first of equal lines).
 */
export type WordLookup = WordIndex;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * An open-addressing hash set over the lines of `bytes` (each line a word):
 * the slots hold line offsets, so building it is one pass over the bytes
 * (≈ 0.5 MB for the shipped table: a few ms, where splitting into 60 000
 * strings and hashing them into a `Set` took ≈ 45 ms).
 */
export function wordLookupFromLines(bytes: Buffer): WordLookup {
  return wordLookupBuilder(bytes).result();
}

/**
 * {@link wordLookupFromLines} a slice at a time: each `step(n)` looks at about
 * `n` more bytes (first counting the lines, to size the table, then hashing
 * them, a slice ending at the end of a line) and says whether all are done;
 * `result()` finishes whatever is left.
 */
export function wordLookupBuilder(bytes: Buffer): { step(n: number): boolean; result(): WordLookup; lines(): number } {
  let lines = 0;
  let counted = 0;
  let mask = 0;
  let starts = new Int32Array(0);
  let ends = new Int32Array(0);
  let lineOf = new Int32Array(0);
  let count = 0;
  const probe = (h: number, from: number, to: number): number => {
    let slot = h & mask;
    for (;;) {
      const s = starts[slot]!;
      if (s < 0) return slot;
      if (ends[slot]! - s === to - from && bytes.compare(bytes, from, to, s, ends[slot]) === 0) return -1;
      slot = (slot + 1) & mask;
    }
  };
  let from = 0;
  let line = 0;
  let h = FNV_OFFSET;
  let i = 0;
  const step = (n: number): boolean => {
    if (counted < bytes.length) {
      for (const stop = Math.min(bytes.length, counted + n); counted < stop; counted++) if (bytes[counted] === 0x0a) lines++;
      if (counted < bytes.length) return false;
    }
    if (mask === 0) {
      // At most half full: a probe always ends at an empty slot.
      const size = 2 ** Math.ceil(Math.log2(Math.max(4, (lines + 1) * 2)));
      mask = size - 1;
      starts = new Int32Array(size).fill(-1);
      ends = new Int32Array(size);
      lineOf = new Int32Array(size);
      return false;
    }
    for (const stop = Math.min(bytes.length, i + n); i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        if (i > from) {
          const slot = probe(h >>> 0, from, i);
          if (slot >= 0) { starts[slot] = from; ends[slot] = i; lineOf[slot] = line; count++; }
        }
        from = i + 1;
        line++;
        h = FNV_OFFSET;
        // A slice ends at the end of a line only.
        if (i >= stop) { i++; break; }
      } else {
        h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
      }
    }
    return i > bytes.length;
  };
  const slotOf = (word: string): number => {
    if (mask === 0) return -1;
    const w = Buffer.from(word, "utf8");
    if (w.length === 0 || w.includes(0x0a)) return -1;
    let hw = FNV_OFFSET;
    for (let k = 0; k < w.length; k++) hw = Math.imul(hw ^ w[k]!, FNV_PRIME);
    let slot = (hw >>> 0) & mask;
    for (;;) {
      const s = starts[slot]!;
      if (s < 0) return -1;
      if (ends[slot]! - s === w.length && w.compare(bytes, s, ends[slot]) === 0) return slot;
      slot = (slot + 1) & mask;
    }
  };
  const lookup: WordLookup = {
    get size() { return count; },
    has: (word) => slotOf(word) >= 0,
    get(word) {
      const slot = slotOf(word);
      return slot < 0 ? undefined : lineOf[slot];
    },
  };
  return {
    step,
    result: () => { while (!step(bytes.length + 1)); return lookup; },
    // Lines of the list, empty ones included (a final line without a newline counts); meaningful once done.
    lines: () => lines + 1,
  };
}

let known: WordLookup | undefined;

/**
 * The table's words alone (its last section): 60 000 real English words, read
 * once per process (≈ 0.5 MB of the file, not its vectors). Typo correction
 * (typo.ts) leaves these alone. Empty when the file cannot be read or is
 * malformed.
 */
export function knownWords(path: string = defaultWordVectorsPath()): WordLookup {
  // A warm-up half way through is finished here rather than started over.
  return (known ??= (path === defaultWordVectorsPath() ? knownBuilder?.result() : undefined) ?? wordLookupFromLines(readWordsSection(path)));
}

/** The shipped list's {@link warmKnownWords} in progress, if any. */
let knownBuilder: ReturnType<typeof wordLookupBuilder> | undefined;

/**
 * {@link knownWords} built `slice` bytes at a time with a turn of the event
 * loop (`turn`) between slices, so a request arriving meanwhile waits for one
 * slice at most (the whole list held the event loop 15–20 ms at a cold
 * start). A {@link knownWords} call meanwhile builds it at once; the first
 * built is kept.
 */
export async function warmKnownWords(turn: () => Promise<unknown>, path: string = defaultWordVectorsPath(), slice = WARM_SLICE_BYTES): Promise<WordLookup> {
  if (known) return known;
  const builder = wordLookupBuilder(readWordsSection(path));
  const shipped = path === defaultWordVectorsPath();
  if (shipped) knownBuilder = builder;
  try {
    while (!builder.step(slice)) {
      await turn();
      if (known) return known;
    }
    return (known ??= builder.result());
  } finally {
    if (knownBuilder === builder) knownBuilder = undefined;
  }
}

/** The words section of the table at `path`; empty when it cannot be read or is malformed. */
function readWordsSection(path: string): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = Buffer.alloc(HEADER_BYTES);
    const size = fstatSync(fd).size;
    const { wordsAt } = readHeader(head.subarray(0, readSync(fd, head, 0, HEADER_BYTES, 0)), size, path);
    const tail = Buffer.alloc(size - wordsAt);
    if (readSync(fd, tail, 0, tail.length, wordsAt) !== tail.length) throw new Error("short read");
    return tail;
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

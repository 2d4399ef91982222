import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TlmError } from "../errors";

/** The compact word-vector table shipped in `assets/` (see scripts/compile-word-vectors.mjs). */
export interface WordVectorTable {
  readonly dims: number;
  readonly count: number;
  /** Row index of a lower-cased word; the index is also its corpus-frequency rank (0 = most frequent). */
  readonly index: ReadonlyMap<string, number>;
  readonly scales: Float32Array;
  readonly rows: Int8Array;
}

/** File name of the word-vector table inside the package's `assets/`. */
export const WORD_VECTORS_FILE = "word-vectors-100d.bin";

/**
 * Path of the word-vector table inside the installed package: the nearest
 * `assets/` up from this module (dist/ when built, src/embed/ in tests).
 */
export function defaultWordVectorsPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, "assets", WORD_VECTORS_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), "..", "assets", WORD_VECTORS_FILE);
}

/**
 * Reads a word-vector table (`RCWV` v1: header, f32 scales, i8 rows, words).
 * Throws `TlmError` `TLM_EMBEDDER_UNAVAILABLE` when the file is missing or malformed.
 */
export function loadWordVectors(path: string = defaultWordVectorsPath()): WordVectorTable {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (cause) {
    throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `cannot read word vectors at ${path}: ${(cause as Error).message}`, { cause });
  }
  const { words, build } = parseWordVectors(buf, path);
  const index = new Map<string, number>();
  words.forEach((w, i) => index.set(w, i));
  return build(index);
}

/**
 * {@link loadWordVectors} from bytes read elsewhere (warm-up.ts reads the file
 * on a worker thread), building the word index `chunk` words at a time with a
 * turn of the event loop between chunks, so a request arriving meanwhile waits
 * for one chunk at most.
 */
export async function wordVectorsFromBytes(bytes: Uint8Array, path: string, chunk = 10_000): Promise<WordVectorTable> {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { words, build } = parseWordVectors(buf, path);
  const index = new Map<string, number>();
  for (let at = 0; at < words.length; at += chunk) {
    await new Promise<void>((r) => setImmediate(r));
    for (let i = at; i < Math.min(words.length, at + chunk); i++) index.set(words[i]!, i);
  }
  return build(index);
}

/** Checks the header and splits the words; `build` makes the table once the word index is filled. */
function parseWordVectors(buf: Buffer, path: string): { words: string[]; build: (index: Map<string, number>) => WordVectorTable } {
  if (buf.length < 12 || buf.toString("latin1", 0, 4) !== "RCWV" || buf.readUInt8(4) !== 1) {
    throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `${path} is not a word-vector table (RCWV v1)`);
  }
  const dims = buf.readUInt16LE(6);
  const count = buf.readUInt32LE(8);
  const scalesAt = 12;
  const rowsAt = scalesAt + count * 4;
  const wordsAt = rowsAt + count * dims;
  if (dims === 0 || wordsAt > buf.length) throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `${path} is truncated`);
  const scales = new Float32Array(count);
  for (let i = 0; i < count; i++) scales[i] = buf.readFloatLE(scalesAt + i * 4);
  const rows = new Int8Array(buf.buffer, buf.byteOffset + rowsAt, count * dims);
  const words = buf.toString("utf8", wordsAt).split("\n");
  if (words.length !== count) throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `${path}: ${words.length} words for ${count} rows`);
  return { words, build: (index) => ({ dims, count, index, scales, rows }) };
}

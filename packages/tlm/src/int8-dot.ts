/**
 * The inner loop of a vector search: dot products of one query with a run of
 * int8 rows. A WebAssembly SIMD kernel (scripts/int8-dot.wat, compiled by
 * scripts/compile-int8-dot.mjs, bytes embedded below) does it 16 lanes at a
 * time; where WebAssembly SIMD is unavailable a scalar loop gives the same
 * ranking. The rows live inside the kernel's own memory, copied once when an
 * index loads, so a search copies nothing but the query.
 */

import { dotAt } from "./embed/embedder";

const INT8_DOT_WASM =
  "AGFzbQEAAAABCgFgBn9/f39/fwADAgEABQMBAAEHEQIGbWVtb3J5AgAEZG90cwAACrEBAa4BAgN/AnsCQANAIAYgAk8NAf0MAAAAAAAAAAAAAAAAAAAAACEJQQAhBwNAIAggASAHamr9AAQAIQogCSAK/YcBIAAgB0EBdGr9AAQA/boBIAr9iAEgACAHQQF0av0ABBD9ugH9rgH9rgEhCSAHQRBqIQcgByAESQ0ACyAFIAZBAnRqIAn9GwAgCf0bAWogCf0bAiAJ/RsDamo2AgAgCCADaiEIIAZBAWohBgwACwsL";

type DotsFn = (q: number, rows: number, n: number, stride: number, span: number, out: number) => void;

// The few WebAssembly JS API members used here (the project's TypeScript libs carry no DOM/WebAssembly types).
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmModule { readonly __brand: "WasmModule" }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: { memory: WasmMemory; dots: DotsFn } };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: WasmModule | null | undefined;
function kernelModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      const bytes = Buffer.from(INT8_DOT_WASM, "base64");
      compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

let compiling: Promise<void> | undefined;

/**
 * Compiles the kernel off the event loop (`WebAssembly.compile` runs on a
 * background thread), so the first index to load does not compile it in one
 * piece (≈ 10 ms under load). Resolves when it is ready or known unavailable.
 */
export function compileKernel(): Promise<void> {
  if (compiled !== undefined) return Promise.resolve();
  // One compile, however many indexes load at once.
  return (compiling ??= (async () => {
    try {
      const mod = wasm ? await wasm.compile(Buffer.from(INT8_DOT_WASM, "base64")) : null;
      compiled ??= mod;
    } catch {
      compiled ??= null;
    }
  })());
}

/** Whether the SIMD kernel is in use on this runtime (reported by benches; answers are the same either way). */
export function int8DotAccelerated(): boolean {
  return kernelModule() !== null;
}

const PAGE = 65_536;
// Set by Int8Rows.build around its constructor call: the rows are copied afterwards, a slice at a time.
let copyLater = false;
// Query lanes are int16. The i32 sum of `span` products |q| · 128 must stay below 2^31, so the query's
// full scale is 32767 up to 512 dims and shrinks above (4096 dims: 4095 steps, still ample for a cosine).
const queryFullScale = (span: number): number => Math.min(32_767, Math.floor((2 ** 31 - 1) / (128 * span)));
/** Largest `dims` a {@link Int8Rows} accepts. */
export const INT8_DOT_MAX_DIMS = 4096;

/**
 * `count` int8 rows of `dims` values, ready for {@link dots}. Build once per
 * loaded index; not shared between threads.
 */
export class Int8Rows {
  readonly count: number;
  readonly dims: number;
  // Each row is read as `span` bytes (dims rounded up to 16 lanes); rows are packed `dims` apart.
  private readonly span: number;
  private readonly fn: DotsFn | null;
  private readonly qAt: number;
  private readonly outAt: number;
  private readonly rowsAt: number;
  private readonly q16: Int16Array;
  private readonly out: Int32Array;
  private readonly rows: Int8Array;
  private readonly scalar: Float64Array;
  private readonly fullScale: number;

  /** Copies `codes` (`count × dims`, row-major). `accelerate: false` forces the scalar loop (tests compare both). */
  constructor(codes: Int8Array, count: number, dims: number, options: { accelerate?: boolean } = {}) {
    if (!Number.isInteger(dims) || dims < 1 || dims > INT8_DOT_MAX_DIMS) throw new RangeError(`dims must be 1..${INT8_DOT_MAX_DIMS}, got ${dims}`);
    if (codes.length !== count * dims) throw new RangeError(`expected ${count * dims} codes, got ${codes.length}`);
    this.count = count;
    this.dims = dims;
    const mod = options.accelerate === false ? null : kernelModule();
    if (!mod) {
      this.fn = null;
      this.span = dims;
      this.qAt = this.outAt = this.rowsAt = 0;
      this.q16 = new Int16Array(0);
      this.out = new Int32Array(0);
      this.rows = codes;
      this.scalar = new Float64Array(count);
      this.fullScale = 1;
      return;
    }
    this.span = Math.ceil(dims / 16) * 16;
    this.fullScale = queryFullScale(this.span);
    this.qAt = 0;
    this.outAt = this.span * 2;
    this.rowsAt = this.outAt + Math.ceil((count * 4) / 16) * 16;
    // The last row's read runs up to span - dims bytes past the rows: they stay zero.
    const bytes = this.rowsAt + count * dims + this.span;
    const instance = new wasm!.Instance(mod, {});
    const memory = instance.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
    this.fn = instance.exports.dots;
    const buf = memory.buffer;
    this.q16 = new Int16Array(buf, this.qAt, this.span);
    this.out = new Int32Array(buf, this.outAt, count);
    this.rows = new Int8Array(buf, this.rowsAt, count * dims);
    if (!copyLater) this.rows.set(codes);
    this.scalar = new Float64Array(0);
  }

  /**
   * The same rows as the constructor's, copied into the kernel's memory
   * `slice` bytes at a time with a turn of the event loop (`turn`) between
   * slices: at 100 k memories of 100 dims the copy is 10 MB, whose page
   * faults held the event loop ≈ 45 ms in one piece. The kernel is compiled
   * off the event loop first ({@link compileKernel}).
   */
  static async build(codes: Int8Array, count: number, dims: number, turn: () => Promise<unknown>, slice = 1 << 16): Promise<Int8Rows> {
    await compileKernel();
    copyLater = true;
    let rows: Int8Rows;
    try {
      rows = new Int8Rows(codes, count, dims);
    } finally {
      copyLater = false;
    }
    // Without the kernel the rows are `codes` themselves: nothing to copy.
    if (rows.fn) {
      for (let at = 0; at < codes.length; at += slice) {
        await turn();
        rows.rows.set(codes.subarray(at, Math.min(codes.length, at + slice)), at);
      }
    }
    return rows;
  }

  /**
   * Dot products of `query` (`dims` values) with rows `[start, end)`:
   * `scores[j] × scale` ≈ `query · row[start + j]`. `scores` is a view that the
   * next call overwrites; read it before calling again.
   */
  dots(query: ArrayLike<number>, start: number, end: number): { scores: ArrayLike<number>; scale: number } {
    const n = end - start;
    if (start < 0 || n < 0 || end > this.count) throw new RangeError(`rows ${start}..${end} outside 0..${this.count}`);
    const { dims } = this;
    if (!this.fn) {
      const out = this.scalar.subarray(0, n);
      for (let j = 0; j < n; j++) out[j] = dotAt(query, this.rows, (start + j) * dims);
      return { scores: out, scale: 1 };
    }
    let max = 0;
    for (let d = 0; d < dims; d++) max = Math.max(max, Math.abs(query[d]!));
    const qScale = max / this.fullScale || 1;
    for (let d = 0; d < dims; d++) this.q16[d] = Math.round(query[d]! / qScale);
    this.fn(this.qAt, this.rowsAt + start * dims, n, dims, this.span, this.outAt);
    return { scores: this.out.subarray(0, n), scale: qScale };
  }
}

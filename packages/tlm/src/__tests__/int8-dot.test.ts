import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import fc from "fast-check";
import { fcParams } from "@recall/test-utils";
import { describe, expect, it } from "vitest";
import { INT8_DOT_MAX_DIMS, Int8Rows, compileKernel, int8DotAccelerated } from "../int8-dot";

const exact = (q: ArrayLike<number>, codes: Int8Array, row: number, dims: number): number => {
  let s = 0;
  for (let d = 0; d < dims; d++) s += q[d]! * codes[row * dims + d]!;
  return s;
};

const case_ = fc
  .record({ dims: fc.oneof(fc.constantFrom(1, 15, 16, 17, 100, 112, 384), fc.integer({ min: 1, max: 300 })), count: fc.integer({ min: 1, max: 60 }) })
  .chain(({ dims, count }) =>
    fc.record({
      dims: fc.constant(dims),
      count: fc.constant(count),
      codes: fc.array(fc.integer({ min: -128, max: 127 }), { minLength: dims * count, maxLength: dims * count }),
      query: fc.array(fc.float({ min: -1, max: 1, noNaN: true, noDefaultInfinity: true }), { minLength: dims, maxLength: dims }),
      range: fc.tuple(fc.nat(count), fc.nat(count)).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
    }),
  );

describe("Int8Rows", () => {
  it("this runtime has WebAssembly SIMD, so the kernel is in use (Node 20+); compiled off the event loop first", async () => {
    await compileKernel();
    expect(int8DotAccelerated()).toBe(true);
  });

  it("the kernel and the scalar loop both equal the exact dot product, for any dims, rows and range", () => {
    fc.assert(
      fc.property(case_, ({ dims, count, codes, query, range: [start, end] }) => {
        const rows = Int8Array.from(codes);
        let qMax = 0;
        for (const x of query) qMax = Math.max(qMax, Math.abs(x));
        for (const accelerate of [true, false]) {
          const { scores, scale } = new Int8Rows(rows, count, dims, { accelerate }).dots(query, start, end);
          expect(scores.length).toBe(end - start);
          for (let j = 0; j < end - start; j++) {
            const want = exact(query, rows, start + j, dims);
            // int16 query lanes: each lane is off by at most half a step, times |code| ≤ 128 per dim.
            const steps = Math.min(32767, Math.floor((2 ** 31 - 1) / (128 * Math.ceil(dims / 16) * 16)));
            const tolerance = accelerate ? (qMax / steps) * 0.5 * 128 * dims + 1e-9 : 1e-9 * dims;
            expect(Math.abs(scores[j]! * scale - want)).toBeLessThanOrEqual(tolerance);
          }
        }
      }),
      fcParams({ numRuns: 150 }),
    );
  });

  it("built a slice at a time (between turns of the event loop), the rows give the constructor's dot products", async () => {
    await fc.assert(
      fc.asyncProperty(case_, fc.integer({ min: 1, max: 700 }), async ({ dims, count, codes, query, range: [start, end] }, slice) => {
        const rows = Int8Array.from(codes);
        let turns = 0;
        const built = await Int8Rows.build(rows, count, dims, async () => { turns++; }, slice);
        expect(turns).toBe(Math.ceil(rows.length / slice));
        const want = new Int8Rows(rows, count, dims).dots(query, start, end);
        const wantScores = Array.from(want.scores);
        const got = built.dots(query, start, end);
        expect(Array.from(got.scores)).toEqual(wantScores);
        expect(got.scale).toBe(want.scale);
      }),
      fcParams({ numRuns: 100 }),
    );
  });

  it("the worst sums do not overflow: every code -128 and every query lane at full scale, at the largest dims", () => {
    const dims = INT8_DOT_MAX_DIMS;
    const rows = new Int8Array(dims * 2).fill(-128);
    const query = new Float32Array(dims).fill(-1);
    const { scores, scale } = new Int8Rows(rows, 2, dims).dots(query, 0, 2);
    expect(scores[0]! * scale).toBeCloseTo(128 * dims, 3);
    expect(scores[1]! * scale).toBeCloseTo(128 * dims, 3);
  });

  it("a zero query scores zero, and rows are copied (later changes to the source do not leak in)", () => {
    const rows = Int8Array.from([1, 2, 3, 4, 5, 6]);
    const index = new Int8Rows(rows, 2, 3);
    expect(Array.from(index.dots([0, 0, 0], 0, 2).scores)).toEqual([0, 0]);
    rows.fill(0);
    const { scores, scale } = index.dots([1, 1, 1], 0, 2);
    expect(Array.from(scores, (s) => Math.round(s * scale))).toEqual([6, 15]);
  });

  it("refuses a range outside the rows, dims out of bounds and a code count that does not match", () => {
    const index = new Int8Rows(new Int8Array(6), 2, 3);
    expect(() => index.dots([1, 1, 1], 1, 3)).toThrow(RangeError);
    expect(() => index.dots([1, 1, 1], 2, 1)).toThrow(RangeError);
    expect(() => new Int8Rows(new Int8Array(0), 0, 0)).toThrow(RangeError);
    expect(() => new Int8Rows(new Int8Array(INT8_DOT_MAX_DIMS + 1), 1, INT8_DOT_MAX_DIMS + 1)).toThrow(RangeError);
    expect(() => new Int8Rows(new Int8Array(5), 2, 3)).toThrow(RangeError);
  });

  it("the embedded bytes are the compile of scripts/int8-dot.wat (when wabt is available to check)", async () => {
    const source = readFileSync(new URL("../../scripts/int8-dot.wat", import.meta.url), "utf8");
    const embedded = readFileSync(new URL("../int8-dot.ts", import.meta.url), "utf8").match(/"(AGFzbQ[^"]+)"/)?.[1];
    expect(embedded).toBeDefined();
    expect(source).toContain('(func (export "dots")');
    let wabt: ((...a: unknown[]) => Promise<{ parseWat(name: string, src: string, f: object): { toBinary(o: object): { buffer: Uint8Array } } }>) | undefined;
    try { wabt = createRequire(import.meta.url)("wabt") as typeof wabt; } catch { wabt = undefined; }
    // wabt is not a dependency (it is only needed to change the kernel); the behaviour tests above check the bytes either way.
    if (!wabt) return;
    const mod = (await wabt()).parseWat("int8-dot.wat", source, { simd: true });
    expect(Buffer.from(mod.toBinary({}).buffer).toString("base64")).toBe(embedded);
  });
});

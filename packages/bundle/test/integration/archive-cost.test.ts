import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeExtract } from "../../src/index";
import { ARCHIVE_SHAPES, type ArchiveShape } from "../../bench/shapes.mjs";
import { growth, measure } from "../helpers/cost";

const MiB = 2 ** 20;
// Wide on purpose: the failure mode is minutes or an out-of-memory crash.
const MAX_MS = 20_000;
const MAX_PEAK_GROWTH_MIB = 300;
const MAX_RATIO = 32; // 8× the scale: linear → ~8, quadratic → 64

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "recall-bundle-cost-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Streams the archive in 64 KiB chunks (as a socket or file would) through safeExtract. */
async function extract(shape: ArchiveShape): Promise<void> {
  const dest = join(root, `d${n++}`);
  const { archive } = shape;
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < archive.length; i += 64 * 1024) yield archive.subarray(i, i + 64 * 1024);
    })(),
  );
  const r = await safeExtract(source, { dest, manifest: shape.manifest, maxBytes: 256 * MiB, maxUnpackedBytes: 256 * MiB });
  expect(r.ok ? "ok" : `${r.rejection.reason}`, r.ok ? "" : r.rejection.message).toBe(shape.expect);
  await rm(dest, { recursive: true, force: true });
}

describe("safeExtract cost on worst-shape archives (linear time, bounded memory)", () => {
  for (const [name, make] of Object.entries(ARCHIVE_SHAPES)) {
    it(`${name}: 8× the size costs < ${MAX_RATIO}× the time`, { timeout: 180_000 }, async () => {
      const shapes = new Map<number, ArchiveShape>();
      const g = await growth(
        async (size) => {
          let s = shapes.get(size);
          if (!s) shapes.set(size, (s = make(size)));
          await extract(s);
        },
        2,
        { runs: 2, floorMs: 500 },
      );
      expect(g.large.ms, `${name}: ${g.large.ms.toFixed(0)} ms at scale 16`).toBeLessThan(MAX_MS);
      expect(g.ratio, `${name}: ${g.small.ms.toFixed(0)} ms → ${g.large.ms.toFixed(0)} ms`).toBeLessThan(MAX_RATIO);
      expect(g.large.peakGrowthMiB).toBeLessThan(MAX_PEAK_GROWTH_MIB);
    });
  }

  it("the issue's case: 32 MiB of zeros after a valid tar in a ~32 KiB gzip is refused at once", async () => {
    const shape = ARCHIVE_SHAPES["n MiB of zeros after the end marker"]!(32);
    expect(shape.archive.length).toBeLessThan(64 * 1024);
    const c = await measure(() => extract(shape));
    expect(c.ms).toBeLessThan(MAX_MS);
    expect(c.peakGrowthMiB).toBeLessThan(MAX_PEAK_GROWTH_MIB);
  });
});

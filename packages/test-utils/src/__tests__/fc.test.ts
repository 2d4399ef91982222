import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { FC_SEED, assertProperty, fcParams, fuzzRuns } from "../fc";
import { makeTempDir, removeTempDirs } from "../temp-dir";
import { existsSync } from "node:fs";

describe("fcParams", () => {
  it("carries FC_SEED, and the same seed draws the same values (replayable)", () => {
    const params = fcParams({ numRuns: 20 });
    expect(params.seed).toBe(FC_SEED);
    expect(fc.sample(fc.string(), { seed: FC_SEED, numRuns: 20 })).toEqual(fc.sample(fc.string(), { seed: FC_SEED, numRuns: 20 }));
  });

  it("a failing sync property throws naming the seed", () => {
    expect(() => fc.assert(fc.property(fc.nat(), (n) => n < 0), fcParams({ numRuns: 10 }))).toThrow(`FC_SEED=${FC_SEED}`);
  });

  it("a failing async property rejects naming the seed", async () => {
    await expect(fc.assert(fc.asyncProperty(fc.nat(), async (n) => Promise.resolve(n < 0)), fcParams({ numRuns: 10 }))).rejects.toThrow(
      `FC_SEED=${FC_SEED}`,
    );
  });

  it("a passing property passes, with the run count from fuzzRuns", async () => {
    let runs = 0;
    fc.assert(
      fc.property(fc.nat(), () => {
        runs++;
      }),
      fcParams({ numRuns: 7 }),
    );
    expect(runs).toBe(fuzzRuns(7));
    await assertProperty(fc.property(fc.nat(), (n) => n >= 0), 5);
    await expect(assertProperty(fc.property(fc.nat(), (n) => n < 0), 5)).rejects.toThrow(`replay with FC_SEED=${FC_SEED}`);
  });
});

describe("temp dirs", () => {
  afterEach(removeTempDirs);

  it("makes private dirs and removes them one by one or all together", async () => {
    const a = await makeTempDir("tu-a-");
    const b = await makeTempDir("tu-b-");
    expect(existsSync(a.path) && existsSync(b.path)).toBe(true);
    await a.remove();
    await a.remove();
    expect(existsSync(a.path)).toBe(false);
    await removeTempDirs();
    expect(existsSync(b.path)).toBe(false);
  });
});

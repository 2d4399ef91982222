import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { measure } from "../helpers/cost";

/**
 * The cost guards' memory figure is a run's own peak. Test files share their
 * worker process, so an earlier file's peak must not be charged to a later
 * run: that once failed every archive shape's guard in CI.
 */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const MiB = 2 ** 20;

describe("measure()", () => {
  it("reports the run's own peak growth, not an earlier, higher peak of the process", async () => {
    let big: Buffer | null = Buffer.alloc(400 * MiB, 1);
    expect(big[big.length - 1]).toBe(1);
    big = null;
    gc();
    let held: Buffer | null = null;
    const c = await measure(() => {
      held = Buffer.alloc(64 * MiB, 1);
    });
    expect(held).not.toBeNull();
    held = null;
    gc();
    expect(c.peakGrowthMiB).toBeGreaterThanOrEqual(48);
    expect(c.peakGrowthMiB).toBeLessThan(200);
  });
});

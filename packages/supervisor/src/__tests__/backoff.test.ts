import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { backoffDelay, SUPERVISOR_DEFAULTS } from "../index";

describe("backoffDelay", () => {
  it("doubles from initialMs and caps at maxMs without jitter", () => {
    const b = { ...SUPERVISOR_DEFAULTS.backoff, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, b))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it("stays within ±jitter of the capped base and never above maxMs", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, initialMs, maxMs, factor, jitter, r) => {
          const d = backoffDelay(n, { initialMs, maxMs, factor, jitter }, () => r);
          const capped = Math.min(maxMs, initialMs * factor ** (n - 1));
          expect(d).toBeGreaterThanOrEqual(Math.floor(capped * (1 - jitter)) - 1);
          expect(d).toBeLessThanOrEqual(Math.min(maxMs, Math.ceil(capped * (1 + jitter))));
          expect(d).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is 0 with backoff 0", () => {
    expect(backoffDelay(3, { initialMs: 0, maxMs: 0, factor: 2, jitter: 0.2 }, () => 0.9)).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fcParams } from "@recall/test-utils";
import { GenerationalCache, MISS } from "../gen-cache";

describe("GenerationalCache", () => {
  it("never answers a wrong value, holds at most its capacity, and keeps whatever was used in the last capacity / 2 operations", () => {
    const op = fc.record({ set: fc.boolean(), key: fc.integer({ min: 0, max: 12 }), value: fc.oneof(fc.integer(), fc.constant(undefined)) });
    fc.assert(fc.property(fc.integer({ min: 2, max: 10 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
      const cache = new GenerationalCache<number, number | undefined>(capacity);
      const half = Math.floor(capacity / 2);
      const last = new Map<number, number | undefined>();
      const usedAt = new Map<number, number>();
      ops.forEach((o, t) => {
        if (o.set) {
          cache.set(o.key, o.value);
          last.set(o.key, o.value);
          usedAt.set(o.key, t);
        } else {
          const got = cache.get(o.key);
          if (got !== MISS) {
            expect(last.has(o.key)).toBe(true);
            expect(got).toBe(last.get(o.key));
            usedAt.set(o.key, t);
          } else if (usedAt.has(o.key)) {
            expect(t - usedAt.get(o.key)!, `key ${o.key} lost ${t - usedAt.get(o.key)!} operations after its use`).toBeGreaterThan(half);
          }
        }
        expect(cache.size).toBeLessThanOrEqual(capacity);
      });
    }), fcParams({ numRuns: 300 }));
  });

  it("a value of undefined is a hit, not a miss", () => {
    const cache = new GenerationalCache<string, undefined>(4);
    expect(cache.get("a")).toBe(MISS);
    cache.set("a", undefined);
    expect(cache.get("a")).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConfigError, formatDuration, parseDuration, tryParseDuration } from "../index";

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["10m", 600_000],
    ["24h", 86_400_000],
    ["1d", 86_400_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1500],
    ["0.1s", 100],
    ["0", 0],
    ["0ms", 0],
    [" 2s ", 2000],
  ])("parses %j as %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "-5s", "5", "5 s", "1w", "0.5ms", "abc", "1H", "s", "1.s", "1e3ms", "30s junk"])("rejects %j with a ConfigError", (text) => {
    expect(tryParseDuration(text)).toBeNull();
    expect(() => parseDuration(text)).toThrow(ConfigError);
    try {
      parseDuration(text);
    } catch (err) {
      expect((err as ConfigError).code).toBe("CONFIG_INVALID");
      expect((err as ConfigError).message).toContain(JSON.stringify(text));
      expect((err as ConfigError).message).toContain("expected a duration");
    }
  });

  it("round-trips every non-negative integer through formatDuration", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it("parses <n><unit> as n times the unit", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[])), (n, unit) => {
        expect(parseDuration(`${n}${unit}`)).toBe(n * UNITS[unit]);
        expect(parseDuration(formatDuration(n * UNITS[unit]))).toBe(n * UNITS[unit]);
      }),
    );
  });

  it("never accepts a negative duration", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom("ms", "s", "m", "h", "d"), (n, unit) => {
        expect(tryParseDuration(`-${n}${unit}`)).toBeNull();
      }),
    );
  });
});

describe("formatDuration", () => {
  it("uses the largest exact unit", () => {
    expect(formatDuration(0)).toBe("0ms");
    expect(formatDuration(86_400_000)).toBe("1d");
    expect(formatDuration(90_000)).toBe("90s");
    expect(formatDuration(1500)).toBe("1500ms");
    expect(formatDuration(7_200_000)).toBe("2h");
  });

  it("rejects negative and fractional input", () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(1.5)).toThrow(RangeError);
  });
});

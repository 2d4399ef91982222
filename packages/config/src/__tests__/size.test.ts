import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConfigError, formatSize, parseSize, tryParseSize } from "../index";

describe("parseSize", () => {
  it.each([
    ["10KiB", 10 * 1024],
    ["2GiB", 2 * 1024 ** 3],
    ["8GiB", 8 * 1024 ** 3],
    ["5MiB", 5 * 1024 ** 2],
    ["5MB", 5_000_000],
    ["1kB", 1000],
    ["1KB", 1000],
    ["1tib", 1024 ** 4],
    ["123", 123],
    ["123B", 123],
    ["0", 0],
    ["1.5KiB", 1536],
    ["10 KiB", 10240],
  ])("parses %j as %i bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(["", "-1", "-10KiB", "10XB", "1.5", "0.1B", "KiB", "ten", "1e3", "10KiB!"])("rejects %j with a ConfigError", (text) => {
    expect(tryParseSize(text)).toBeNull();
    expect(() => parseSize(text)).toThrow(ConfigError);
    try {
      parseSize(text);
    } catch (err) {
      expect((err as ConfigError).code).toBe("CONFIG_INVALID");
      expect((err as ConfigError).message).toContain("expected a size");
    }
  });

  it("round-trips every non-negative integer through formatSize", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(parseSize(formatSize(n))).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it("parses <n><unit> as n times the unit, for every unit and case", () => {
    const units: [string, number][] = [
      ["B", 1], ["kB", 1000], ["MB", 1e6], ["GB", 1e9], ["TB", 1e12],
      ["KiB", 1024], ["MiB", 1024 ** 2], ["GiB", 1024 ** 3], ["TiB", 1024 ** 4],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4096 }), fc.constantFrom(...units), fc.boolean(), (n, [unit, factor], upper) => {
        const text = `${n}${upper ? unit.toUpperCase() : unit.toLowerCase()}`;
        expect(parseSize(text)).toBe(n * factor);
      }),
    );
  });
});

describe("formatSize", () => {
  it("prefers IEC units, then SI, then bytes", () => {
    expect(formatSize(0)).toBe("0B");
    expect(formatSize(2 * 1024 ** 3)).toBe("2GiB");
    expect(formatSize(10240)).toBe("10KiB");
    expect(formatSize(5_000_000)).toBe("5MB");
    expect(formatSize(123)).toBe("123B");
  });

  it("rejects negative and fractional input", () => {
    expect(() => formatSize(-1)).toThrow(RangeError);
    expect(() => formatSize(0.5)).toThrow(RangeError);
  });
});

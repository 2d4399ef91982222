import { ConfigError } from "./errors";

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i;
const FORMAT_UNITS: [string, number][] = [
  ["TiB", 1024 ** 4],
  ["GiB", 1024 ** 3],
  ["MiB", 1024 ** 2],
  ["KiB", 1024],
  ["TB", 1000 ** 4],
  ["GB", 1000 ** 3],
  ["MB", 1000 ** 2],
  ["kB", 1000],
];

/** Words used in messages for what a size looks like. */
export const SIZE_EXPECTED = "a size such as 10KiB, 2GiB, 5MB or a number of bytes";

/**
 * Parses a size (`10KiB`, `2GiB`, `5MB`, `1.5MiB`, `123`, `123B`; units are
 * case-insensitive, IEC units are powers of 1024, SI units powers of 1000)
 * into whole bytes. Returns `null` when the text is not a non-negative
 * whole number of bytes.
 */
export function tryParseSize(text: string): number | null {
  const m = SIZE.exec(text.trim());
  if (!m) return null;
  const factor = m[2] === undefined ? 1 : UNIT_BYTES[m[2].toLowerCase()];
  if (factor === undefined) return null;
  const n = Number(m[1]) * factor;
  const r = Math.round(n);
  if (!Number.isSafeInteger(r) || Math.abs(r - n) > 1e-6) return null;
  return r;
}

/**
 * Parses a size into bytes; see {@link tryParseSize} for the grammar.
 * Throws a `ConfigError` (`CONFIG_INVALID`) on anything else, including
 * negative sizes and fractions of a byte.
 */
export function parseSize(text: string): number {
  const n = typeof text === "string" ? tryParseSize(text) : null;
  if (n === null) throw new ConfigError("CONFIG_INVALID", `expected ${SIZE_EXPECTED}; found ${JSON.stringify(text)}`);
  return n;
}

/**
 * Formats bytes exactly, with the largest unit that divides them, IEC
 * first (`2147483648` → `2GiB`, `5000000` → `5MB`, `123` → `123B`).
 * `parseSize(formatSize(n)) === n` for every non-negative safe integer.
 * Throws a `RangeError` for anything else.
 */
export function formatSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`formatSize: expected a non-negative integer, got ${bytes}`);
  if (bytes === 0) return "0B";
  for (const [unit, factor] of FORMAT_UNITS) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}B`;
}

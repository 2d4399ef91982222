import { ConfigError } from "./errors";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type DurationUnit = keyof typeof UNIT_MS;
const SEGMENT = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
const FORMAT_UNITS: DurationUnit[] = ["d", "h", "m", "s"];

/** Words used in messages for what a duration looks like. */
export const DURATION_EXPECTED = "a duration such as 500ms, 30s, 10m, 24h or 1d";

/**
 * Parses a duration (`500ms`, `30s`, `10m`, `24h`, `1d`, compounds such as
 * `1h30m`, decimals such as `1.5s`, or `0`) into whole milliseconds.
 * Returns `null` when the text is not a non-negative whole number of ms.
 */
export function tryParseDuration(text: string): number | null {
  const s = text.trim();
  if (s === "0") return 0;
  if (s.length === 0) return null;
  SEGMENT.lastIndex = 0;
  let total = 0;
  while (SEGMENT.lastIndex < s.length) {
    const m = SEGMENT.exec(s);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
  }
  if (!Number.isSafeInteger(total)) {
    // decimals like 1.5s give 1500.0000000002 in floating point; accept values within rounding noise
    const r = Math.round(total);
    if (!Number.isSafeInteger(r) || Math.abs(r - total) > 1e-6) return null;
    return r;
  }
  return total;
}

/**
 * Parses a duration into milliseconds; see {@link tryParseDuration} for the
 * grammar. Throws a `ConfigError` (`CONFIG_INVALID`) on anything else,
 * including negative durations.
 */
export function parseDuration(text: string): number {
  const ms = typeof text === "string" ? tryParseDuration(text) : null;
  if (ms === null) {
    throw new ConfigError("CONFIG_INVALID", `expected ${DURATION_EXPECTED}; found ${JSON.stringify(text)}`);
  }
  return ms;
}

/**
 * Formats milliseconds as the shortest exact duration text, using the
 * largest unit that divides it (`86400000` → `1d`, `90000` → `90s`,
 * `1500` → `1500ms`). `parseDuration(formatDuration(n)) === n` for every
 * non-negative safe integer. Throws a `RangeError` for anything else.
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`formatDuration: expected a non-negative integer, got ${ms}`);
  if (ms === 0) return "0ms";
  for (const unit of FORMAT_UNITS) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `500ms`, `5s`, `10m`, `24h`, `30d` (a bare number
 * is milliseconds). Returns `null` when the text is not a positive duration.
 */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return null;
  const value = Number(m[1]) * (UNITS[m[2] ?? "ms"] ?? 1);
  return Number.isFinite(value) && value > 0 ? Math.round(value) : null;
}

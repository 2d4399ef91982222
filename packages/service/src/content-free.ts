/** Longest string value kept by {@link contentFree}. */
const MAX_STRING = 200;

function scalar(v: unknown): { ok: true; value: unknown } | { ok: false } {
  if (v === null || typeof v === "number" || typeof v === "boolean") return { ok: true, value: v };
  if (typeof v === "string") return { ok: true, value: v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…` : v };
  return { ok: false };
}

/**
 * Keeps only scalar fields (numbers, booleans, null, strings cut at 200
 * chars) of a detail object; a nested plain object is flattened one level
 * (`exit: {code}` → `exit_code`). Arrays (a child's output lines) and deeper
 * payloads are dropped, so audit events and status details stay content-free.
 */
export function contentFree(detail: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!detail) return out;
  for (const [k, v] of Object.entries(detail)) {
    const s = scalar(v);
    if (s.ok) {
      out[k] = s.value;
    } else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) {
        const s2 = scalar(v2);
        if (s2.ok) out[`${k}_${k2}`] = s2.value;
      }
    }
  }
  return out;
}

/**
 * Replaces every occurrence of `secret` in `text` (no-op for an empty
 * secret). Used on foreign error messages before they reach a log.
 */
export function scrub(text: string, secret: string): string {
  return secret === "" ? text : text.split(secret).join("[redacted]");
}

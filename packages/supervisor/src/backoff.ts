import type { BackoffOptions } from "./types";

/**
 * Delay before the restart that follows the `attempt`-th failure (1-based):
 * `initialMs · factor^(attempt-1)` capped at `maxMs`, then scaled by a
 * uniform factor in `[1 - jitter, 1 + jitter)` and clamped to `[0, maxMs]`.
 * `random` must return a number in `[0, 1)`.
 */
export function backoffDelay(attempt: number, backoff: BackoffOptions, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.min(backoff.maxMs, backoff.initialMs * Math.pow(backoff.factor, n - 1));
  const scaled = base * (1 + backoff.jitter * (2 * random() - 1));
  return Math.round(Math.min(backoff.maxMs, Math.max(0, scaled)));
}

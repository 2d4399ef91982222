/** Delays between `/health` probes while waiting for readiness (docs/protocol.md), then {@link PROBE_STEADY_MS} forever. */
export const PROBE_SCHEDULE_MS: readonly number[] = Object.freeze([5, 10, 20, 40, 80, 160]);
/** Probe period once the fast schedule is used up. */
export const PROBE_STEADY_MS = 250;

/** Delay before the `i`-th probe (0-based). */
export function probeDelay(i: number): number {
  return PROBE_SCHEDULE_MS[i] ?? PROBE_STEADY_MS;
}

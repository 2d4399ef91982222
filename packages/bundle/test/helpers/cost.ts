import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

/**
 * This process's peak RSS in bytes: Linux's VmHWM (per process image), else
 * `resourceUsage().maxRSS`, which keeps the parent's peak across fork + exec.
 */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Resets this process's peak RSS to its current RSS (Linux: `5` to
 * /proc/self/clear_refs, since 4.0). Test files share their worker process,
 * so without the reset the peak is whatever the worker's earlier files
 * reached, not this run's. Returns false where the reset is not available.
 */
function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** What one run of a parser on a worst-shape input cost. */
export interface Cost {
  ms: number;
  /** Growth of the process's peak RSS over the run, in MiB (0 when the old peak was not passed). */
  peakGrowthMiB: number;
}

/**
 * Runs `fn` once and reports its wall time and how far it pushed the
 * process's peak RSS above the RSS it started at. Where the peak cannot be
 * reset, only growth past the process's earlier peak counts (an under-count
 * rather than a false failure).
 */
export async function measure(fn: () => unknown): Promise<Cost> {
  (globalThis as { gc?: () => void }).gc?.();
  const reset = resetPeakRss();
  const rssBefore = reset ? process.memoryUsage().rss : Math.max(process.memoryUsage().rss, peakRss());
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const peak = peakRss();
  return { ms, peakGrowthMiB: Math.max(0, peak - rssBefore) / 2 ** 20 };
}

/**
 * Linear-cost check, robust on a noisy shared machine: time at size N and
 * `factor`×N (default 8; best of `runs`, the sizes alternating). A linear parser's ratio is about
 * `factor`, a quadratic one's `factor`² (64), so callers assert a bound in
 * between with room for noise. Runs under `floorMs` count as `floorMs`, so
 * timer noise on tiny runs cannot fail it.
 */
export async function growth(
  run: (n: number) => unknown,
  n: number,
  opts: { runs?: number; floorMs?: number; factor?: number } = {},
): Promise<{ small: Cost; large: Cost; ratio: number }> {
  const runs = opts.runs ?? 2;
  const floor = opts.floorMs ?? 50;
  const small: Cost = { ms: Infinity, peakGrowthMiB: 0 };
  const large: Cost = { ms: Infinity, peakGrowthMiB: 0 };
  const keep = (into: Cost, c: Cost) => {
    into.ms = Math.min(into.ms, c.ms);
    into.peakGrowthMiB = Math.max(into.peakGrowthMiB, c.peakGrowthMiB);
  };
  // Sizes alternate (small, large, small, large…), so a burst of load on the machine falls on both, not on one.
  for (let i = 0; i < runs; i++) {
    keep(small, await measure(() => run(n)));
    keep(large, await measure(() => run((opts.factor ?? 8) * n)));
  }
  return { small, large, ratio: Math.max(large.ms, floor) / Math.max(small.ms, floor) };
}

import fc from "fast-check";

/**
 * Seed of every property in this package's fuzz tests: `FC_SEED` from the
 * environment, else random. It is in the message of any failure, so
 * `FC_SEED=<seed> npx vitest run <file>` replays it.
 */
export const FC_SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);

/**
 * Runs for a property: `base` in the normal test run; `FUZZ_RUNS` overrides
 * it; `RECALL_SOAK=1` (set by `npm run soak`) multiplies it by 40.
 */
export function fuzzRuns(base: number): number {
  if (process.env.FUZZ_RUNS !== undefined) return Number(process.env.FUZZ_RUNS);
  return process.env.RECALL_SOAK === "1" ? base * 40 : base;
}

/** Checks an async property with the package's seed and run count; a failure names FC_SEED. */
export async function assertProperty<T>(property: fc.IAsyncProperty<T> | fc.IProperty<T>, baseRuns: number): Promise<void> {
  const details = await fc.check(property as fc.IAsyncProperty<T>, { seed: FC_SEED, numRuns: fuzzRuns(baseRuns) });
  if (details.failed) {
    throw new Error(`property failed; replay with FC_SEED=${FC_SEED}\n${fc.defaultReportMessage(details) ?? ""}`);
  }
}

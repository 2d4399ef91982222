import fc from "fast-check";

/**
 * Seed of every property in this package's unit tests: `FC_SEED` from the
 * environment, else random. Every failure names it, so
 * `FC_SEED=<seed> npx vitest run <file>` replays the run.
 */
export const FC_SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);

/** Runs for a property: `base`, or `FUZZ_RUNS` when set (`RECALL_SOAK=1` multiplies `base` by 40). */
export function fuzzRuns(base: number): number {
  if (process.env.FUZZ_RUNS !== undefined) return Number(process.env.FUZZ_RUNS);
  return process.env.RECALL_SOAK === "1" ? base * 40 : base;
}

/** Checks a property with {@link FC_SEED}; a failure throws with the seed and fast-check's counterexample. */
export async function assertProperty<T>(property: fc.IAsyncProperty<T> | fc.IProperty<T>, baseRuns: number): Promise<void> {
  const details = await fc.check(property as fc.IAsyncProperty<T>, { seed: FC_SEED, numRuns: fuzzRuns(baseRuns) });
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`property failed; replay with FC_SEED=${FC_SEED}\n${fc.defaultReportMessage(details) ?? ""}\n${cause}`, {
      cause: details.errorInstance,
    });
  }
}

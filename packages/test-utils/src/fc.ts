import fc from "fast-check";

/**
 * The seed of every property run in this process: `FC_SEED` from the
 * environment, else a random one. Every failure names it, so
 * `FC_SEED=<seed> npx vitest run <file>` replays the run.
 */
export const FC_SEED: number = readSeed(process.env.FC_SEED);

function readSeed(raw: string | undefined): number {
  if (raw === undefined || raw === "") return Math.floor(Math.random() * 2 ** 31);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Runs for a property: `base` in the normal test run; `FUZZ_RUNS` overrides it;
 * `RECALL_SOAK=1` (set by `npm run soak`) multiplies it by 40.
 */
export function fuzzRuns(base: number): number {
  if (process.env.FUZZ_RUNS !== undefined && process.env.FUZZ_RUNS !== "") return Number(process.env.FUZZ_RUNS);
  return process.env.RECALL_SOAK === "1" ? base * 40 : base;
}

/** The failure message of a property run: fast-check's report, with the replay command first. */
export function seededFailureMessage(details: fc.RunDetails<unknown>, seed: number = FC_SEED): string {
  return `property failed; replay with FC_SEED=${seed}\n${fc.defaultReportMessage(details) ?? ""}`;
}

/**
 * Parameters for `fc.assert` / `fc.check`: the seed from `FC_SEED`, `numRuns`
 * through {@link fuzzRuns}, and a reporter that throws a message naming the
 * seed when the property fails (sync and async properties alike).
 *
 * ```ts
 * fc.assert(fc.property(fc.string(), (s) => ...), fcParams({ numRuns: 200 }));
 * await fc.assert(fc.asyncProperty(...), fcParams({ numRuns: 50 }));
 * ```
 */
export function fcParams<T = unknown>(extra: Omit<fc.Parameters<T>, "seed" | "reporter" | "asyncReporter"> = {}): fc.Parameters<T> {
  const seed = FC_SEED;
  return {
    ...extra,
    ...(extra.numRuns !== undefined ? { numRuns: fuzzRuns(extra.numRuns) } : {}),
    seed,
    reporter: (details: fc.RunDetails<T>) => {
      if (details.failed) throw new Error(seededFailureMessage(details as fc.RunDetails<unknown>, seed));
    },
  };
}

/**
 * Checks a sync or async property with {@link fcParams}; a failure throws naming `FC_SEED`, with
 * fast-check's counterexample and the failing assertion's message (also as `cause`).
 */
export async function assertProperty<T>(property: fc.IAsyncProperty<T> | fc.IProperty<T>, numRuns: number): Promise<void> {
  const details = await fc.check(property as fc.IAsyncProperty<T>, { seed: FC_SEED, numRuns: fuzzRuns(numRuns) });
  if (!details.failed) return;
  const cause: unknown = details.errorInstance;
  const why = cause instanceof Error ? cause.message : String(cause);
  throw new Error(`${seededFailureMessage(details as fc.RunDetails<unknown>)}\n${why}`, { cause });
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Deadline in ms (required: every wait names how long it is willing to wait). */
  timeout: number;
  /** Poll interval in ms (default 25). */
  interval?: number;
  /** What is awaited, for the timeout message ("recalld ready"). */
  what: string;
}

/**
 * Polls `probe` until it returns a truthy value (returned) or the deadline
 * passes; then throws `timed out after <timeout> ms waiting for <what>`, with
 * the last error the probe threw. A probe that throws is retried.
 *
 * For harness code that is not itself a test body (e.g. a sandbox's cleanup
 * or a daemon wrapper's `waitStatus`); inside a test prefer vitest's own
 * `vi.waitFor(fn, { timeout, interval })` / `expect.poll(fn, { timeout, interval })`.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, opts: WaitForOptions): Promise<NonNullable<T>> {
  const interval = opts.interval ?? 25;
  const deadline = Date.now() + opts.timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last === undefined ? "" : `: ${last instanceof Error ? last.message : JSON.stringify(last)}`;
      throw new Error(`timed out after ${opts.timeout} ms waiting for ${opts.what}${why}`, last === undefined ? undefined : { cause: last });
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

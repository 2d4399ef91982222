import type { Clock, PullOutcome } from "./types";

/** Dependencies of {@link PullSchedule}. */
export interface PullScheduleDeps {
  tick(signal: AbortSignal): Promise<PullOutcome>;
  hasValidCurrent(): Promise<boolean>;
  clock: Clock;
  random: () => number;
  startupDelayMs: number;
  intervalMs: number;
  jitter: number;
}

/** First retry delay after a failed pull (docs/bundle-root.md): 1 min, doubling up to the interval. */
export const FAILURE_RETRY_MS = 60_000;

/** True for outcomes that count as a failed pull for the backoff. */
function isFailure(o: PullOutcome): boolean {
  return o.outcome === "failed" || o.outcome === "rejected";
}

/**
 * The cloud pull schedule (docs/bundle-root.md), independent of HTTP so that unit
 * tests can run days of it against a fake clock: bootstrap tick when there is
 * no valid `current`, startup delay, then interval ± jitter; after a failed
 * or rejected pull, 1 min doubling up to the interval; `busy` retries after
 * 1 min without growing the backoff. `pullNow()` wakes the loop.
 */
export class PullSchedule {
  private running = false;
  private wake: AbortController | null = null;
  private inflight: Promise<PullOutcome> | null = null;
  private waiters: ((o: PullOutcome) => void)[] = [];
  private loopSignal: AbortSignal | null = null;

  constructor(private readonly deps: PullScheduleDeps) {}

  /** Delay after an outcome, given the number of consecutive failures so far (after it). */
  nextDelay(o: PullOutcome, failures: number): number {
    const { intervalMs, jitter, random } = this.deps;
    if (o.outcome === "busy") return Math.min(intervalMs, FAILURE_RETRY_MS);
    if (isFailure(o)) return Math.min(intervalMs, FAILURE_RETRY_MS * 2 ** Math.min(30, failures - 1));
    return Math.max(0, Math.round(intervalMs * (1 + jitter * (2 * random() - 1))));
  }

  /** Runs until `signal` aborts; never rejects. A second concurrent call returns at once. */
  async run(opts: { signal: AbortSignal; bootstrap?: boolean; onOutcome?: (o: PullOutcome) => void }): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.loopSignal = opts.signal;
    const { signal } = opts;
    const tick = async (): Promise<void> => {
      const o = await this.runTick(signal);
      try {
        opts.onOutcome?.(o);
      } catch {
        // a throwing observer must not stop the schedule
      }
      if (isFailure(o)) failures++;
      else if (o.outcome !== "busy") failures = 0;
      delay = this.nextDelay(o, failures);
    };
    let failures = 0;
    let delay = this.deps.startupDelayMs;
    try {
      if ((opts.bootstrap ?? true) && !signal.aborted && !(await this.deps.hasValidCurrent().catch(() => false))) {
        await tick();
        // the first scheduled tick still waits the startup delay
        delay = this.deps.startupDelayMs;
      }
      while (!signal.aborted) {
        if (this.waiters.length === 0) {
          this.wake = new AbortController();
          try {
            await this.deps.clock.sleep(delay, AbortSignal.any([signal, this.wake.signal]));
          } catch {
            // woken by pullNow or stopped
          }
          this.wake = null;
        }
        if (signal.aborted) break;
        await tick();
      }
    } finally {
      this.running = false;
      this.loopSignal = null;
      this.wake = null;
      const pending = this.waiters.splice(0);
      for (const w of pending) w({ outcome: "failed", reason: "aborted", message: "schedule stopped" });
    }
  }

  /** Wakes the running loop and resolves with that tick's outcome (or the one in flight); runs one tick when not running. */
  pullNow(): Promise<PullOutcome> {
    if (this.inflight) return this.inflight;
    if (!this.running) return this.runTick(new AbortController().signal);
    return new Promise<PullOutcome>((resolve) => {
      this.waiters.push(resolve);
      this.wake?.abort();
    });
  }

  private runTick(signal: AbortSignal): Promise<PullOutcome> {
    const p = this.deps.tick(signal).catch(
      (err: unknown): PullOutcome => ({ outcome: "failed", reason: "io", message: `unexpected failure (${(err as { code?: string })?.code ?? "error"})` }),
    );
    this.inflight = p;
    void p.then((o) => {
      if (this.inflight === p) this.inflight = null;
      for (const w of this.waiters.splice(0)) w(o);
    });
    return p;
  }
}

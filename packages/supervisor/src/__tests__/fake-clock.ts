import type { Clock } from "../types";

interface Timer {
  at: number;
  seq: number;
  ms: number;
  resolve: () => void;
}

/**
 * Virtual time for tests: `sleep` registers a timer; `runUntil` advances time
 * to the next timer whenever every promise chain has settled, so a whole
 * restart schedule runs in a few milliseconds of real time.
 */
export class FakeClock implements Clock {
  t = 0;
  /** Every `sleep(ms)` requested through the Clock interface, in call order. */
  readonly sleeps: number[] = [];
  #timers: Timer[] = [];
  #seq = 0;

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return this.timer(ms, signal);
  }

  /** Like `sleep`, but not recorded in `sleeps` (for the fakes' own delays). */
  timer(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        seq: this.#seq++,
        ms,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers = this.#timers.filter((x) => x !== timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  get pending(): number {
    return this.#timers.length;
  }

  /** Lets every ready promise chain run (microtasks drain before the next macrotask). */
  static async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /**
   * Advances virtual time timer by timer until `done()` holds, or throws when
   * nothing is pending (a deadlock) or after `maxSteps` timers.
   */
  async runUntil(done: () => boolean, maxSteps = 10_000): Promise<void> {
    for (let step = 0; step < maxSteps; step++) {
      await FakeClock.settle();
      if (done()) return;
      if (this.#timers.length === 0) throw new Error(`FakeClock: nothing pending at t=${this.t} and not done`);
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
    throw new Error("FakeClock: too many steps");
  }

  /** Runs `p` to completion in virtual time. */
  async run<T>(p: Promise<T>): Promise<T> {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.runUntil(() => settled);
    return p;
  }
}

/** Injectable time. `sleep` resolves after `ms` or rejects with `signal.reason` on abort. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock: `Date.now()` and an abortable `setTimeout`. `sleep`
 * rejects with `signal.reason` when the signal is already aborted or aborts
 * while sleeping; either way, and when the timer fires, no timer and no abort
 * listener is left behind. A negative `ms` sleeps 0 ms.
 */
export const realClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
});

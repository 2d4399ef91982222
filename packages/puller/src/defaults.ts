import type { AuditSink, Clock, Logger } from "./types";

/** The real clock: `Date.now` and an abortable timer that rejects with `signal.reason`. */
export const realClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
});

const noop = (): void => {};

/** A logger that drops everything. */
export const noopLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/** An audit sink that drops everything. */
export const noopAudit: AuditSink = Object.freeze({ log: noop });

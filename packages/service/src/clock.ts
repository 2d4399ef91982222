import { setTimeout as sleepTimer } from "node:timers/promises";
import type { AuditSink, Clock, Logger } from "./types";

/** Wall-clock time; `sleep` rejects with `signal.reason` on abort. */
export const realClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: async (ms: number, signal?: AbortSignal): Promise<void> => {
    try {
      await sleepTimer(ms, undefined, signal ? { signal } : undefined);
    } catch (err) {
      throw signal?.aborted ? signal.reason : err;
    }
  },
});

const noop = (): void => {};

/** Logger that drops everything. */
export const nullLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/** Audit sink that drops everything. */
export const nullAudit: AuditSink = Object.freeze({ log: noop });

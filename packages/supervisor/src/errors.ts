/** Stable codes of {@link SupervisorError}. */
export type SupervisorErrorCode = "SUPERVISOR_INVALID_OPTIONS" | "SUPERVISOR_ALREADY_RUNNING";

/**
 * Programmer errors of the supervisor (bad options, `run` called while
 * running). Expected outcomes — crashes, timeouts, giving up — are never
 * thrown: they are the `"degraded"` result of `run` and the `onDegraded` hook.
 */
export class SupervisorError extends Error {
  readonly code: SupervisorErrorCode;
  constructor(code: SupervisorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SupervisorError";
    this.code = code;
  }
}

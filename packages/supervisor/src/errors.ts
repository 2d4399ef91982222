/**
 * Every code a {@link SupervisorError} can carry, with when it is used. The
 * README's "Errors" table lists exactly these (a unit test checks both ways).
 */
export const SUPERVISOR_ERROR_CODES = Object.freeze({
  /** The constructor got malformed options. */
  SUPERVISOR_INVALID_OPTIONS: "the constructor got malformed options (a programmer error)",
  /** `run` was called while a run is in progress. */
  SUPERVISOR_ALREADY_RUNNING: "`run` was called while a run is in progress (a programmer error)",
} as const);

/** Stable codes of {@link SupervisorError}. */
export type SupervisorErrorCode = keyof typeof SUPERVISOR_ERROR_CODES;

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

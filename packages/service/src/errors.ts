/**
 * Every code a {@link ServiceError} can carry, with when it is used. The
 * README's "Errors" table lists exactly these (a unit test checks both ways).
 */
export const SERVICE_ERROR_CODES = Object.freeze({
  /** Thrown: the constructor got malformed options (a programmer error). */
  SERVICE_INVALID_OPTIONS: "the constructor got malformed options; `issues` name the fields, never their values",
  /** Never thrown: the abort reason of every loop, sleep and call when `stop()` runs. */
  SERVICE_STOPPED: "abort reason of the service's loops and calls once `stop()` runs",
  /** Never thrown: the abort reason of a bootstrap pull cut by `bootstrapTimeoutMs`. */
  SERVICE_BOOTSTRAP_TIMEOUT: "abort reason of a bootstrap pull that ran past `bootstrapTimeoutMs`",
} as const);

/** Stable codes of {@link ServiceError}. */
export type ServiceErrorCode = keyof typeof SERVICE_ERROR_CODES;

/**
 * Base error of `@recall/service`. Only programmer errors are thrown (bad
 * options given to the constructor); every runtime outcome (a missing binary,
 * a dead sidecar, a failed pull) is a status or a returned value. The service
 * also aborts its own work with a `ServiceError` as the signal's reason
 * (`SERVICE_STOPPED`, `SERVICE_BOOTSTRAP_TIMEOUT`); those reach logs only.
 */
export class ServiceError extends Error {
  /** Stable machine-readable code. */
  readonly code: ServiceErrorCode;

  constructor(code: ServiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ServiceError";
    this.code = code;
  }
}

/** Thrown by the `Service` constructor when its options are malformed; `issues` name the fields. */
export class ServiceOptionsError extends ServiceError {
  /** One line per offending field: `path: problem`. */
  readonly issues: string[];

  constructor(issues: string[]) {
    super("SERVICE_INVALID_OPTIONS", `invalid service options: ${issues.join("; ")}`);
    this.name = "ServiceOptionsError";
    this.issues = issues;
  }
}

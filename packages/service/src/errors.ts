/** Stable codes of {@link ServiceError}. */
export type ServiceErrorCode = "SERVICE_INVALID_OPTIONS";

/**
 * Base error of `@recall/service`. Only programmer errors are thrown (bad
 * options given to the constructor); every runtime outcome (a missing binary,
 * a dead sidecar, a failed pull) is a status or a returned value.
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

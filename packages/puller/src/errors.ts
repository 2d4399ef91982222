/**
 * Every code a {@link PullerError} can carry, with when it is used. The
 * README's "Errors" table lists exactly these (a unit test checks both ways).
 */
export const PULLER_ERROR_CODES = Object.freeze({
  /** Bad options given to the puller (a programmer error). */
  PULLER_INVALID_OPTIONS: "bad options given to the puller (a programmer error)",
  /** A symlinked `staging/` or `bundles/` under the bundle root. */
  PULLER_UNSAFE_DIR: "`staging/` or `bundles/` under the bundle root is a symlink",
} as const);

/** Stable codes of {@link PullerError}. */
export type PullerErrorCode = keyof typeof PULLER_ERROR_CODES;

/**
 * Base error of @recall/puller. Only programmer errors (bad options) and an
 * unsafe bundle-root layout (a symlinked `staging/` or `bundles/`) are
 * thrown as `PullerError`s; expected pull outcomes are returned as
 * `PullOutcome` values.
 */
export class PullerError extends Error {
  /** Stable machine-readable code. */
  readonly code: PullerErrorCode;
  /** Path concerned, when there is one. */
  readonly path?: string;

  constructor(code: PullerErrorCode, message: string, opts: { cause?: unknown; path?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "PullerError";
    this.code = code;
    if (opts.path !== undefined) this.path = opts.path;
  }
}

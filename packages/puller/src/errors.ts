/** Stable codes of {@link PullerError}. */
export type PullerErrorCode = "PULLER_INVALID_OPTIONS" | "PULLER_IO" | "PULLER_STATE_CORRUPT" | "PULLER_UNSAFE_DIR";

/**
 * Base error of @recall/puller. Only programmer errors (bad options),
 * unexpected local I/O and an unsafe bundle-root layout (a symlinked
 * `staging/` or `bundles/`) are thrown; expected pull outcomes are returned
 * as `PullOutcome` values.
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

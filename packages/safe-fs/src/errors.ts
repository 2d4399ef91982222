/**
 * Every code a {@link SafeFsError} can carry, with when it is used. The
 * README's "Errors" table lists exactly these (a unit test checks both ways).
 */
export const SAFE_FS_ERROR_CODES = Object.freeze({
  /** `removeInside` was asked to remove something that is not strictly inside its root. */
  SAFE_FS_NOT_INSIDE: "`removeInside` was asked to remove the root itself or a path outside it; nothing was removed",
  /** A symlink between the root and the target would lead the removal out of the root. */
  SAFE_FS_LINK_ESCAPE: "a symlink between the root and the target leads out of the root; nothing was removed",
} as const);

/** Stable codes of {@link SafeFsError}. */
export type SafeFsErrorCode = keyof typeof SAFE_FS_ERROR_CODES;

/**
 * A refusal to act on a path (only `removeInside` throws it). `path` is the
 * path refused. Filesystem faults are thrown as Node's own errors (`code`
 * `ENOENT`, `EACCES`, …); a directory that is not private is a returned
 * verdict of `checkPrivateDir`, never an error.
 */
export class SafeFsError extends Error {
  readonly code: SafeFsErrorCode;
  readonly path: string;
  constructor(code: SafeFsErrorCode, message: string, path: string) {
    super(message);
    this.name = "SafeFsError";
    this.code = code;
    this.path = path;
  }
}

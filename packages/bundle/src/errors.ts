/**
 * Every reason a bundle can be rejected for. The set is stable: callers
 * (puller, CLI, audit events) switch on it and operators read it in logs.
 * See README.md for what each one means.
 */
export const REJECT_REASONS = [
  "bad_manifest",
  "bad_signature",
  "unsigned",
  "schema_out_of_range",
  "expired",
  "wrong_tenant",
  "rollback",
  "unsafe_path",
  "too_deep",
  "link_entry",
  "special_entry",
  "duplicate_entry",
  "unlisted_file",
  "missing_file",
  "file_size_mismatch",
  "file_hash_mismatch",
  "archive_too_large",
  "archive_size_mismatch",
  "archive_hash_mismatch",
  "unpacked_too_large",
  "too_many_entries",
  "corrupt_archive",
  "aborted",
] as const;

/** One of {@link REJECT_REASONS}. */
export type RejectReason = (typeof REJECT_REASONS)[number];


/**
 * Every `code` an error of this package can carry: `BUNDLE_<REASON>` for each
 * of {@link REJECT_REASONS} (a {@link BundleRejectedError}), then the codes of
 * the errors that are thrown rather than returned. The set is stable and each
 * one is documented in README.md ("Error codes").
 */
export const BUNDLE_ERROR_CODES = [
  "BUNDLE_BAD_MANIFEST",
  "BUNDLE_BAD_SIGNATURE",
  "BUNDLE_UNSIGNED",
  "BUNDLE_SCHEMA_OUT_OF_RANGE",
  "BUNDLE_EXPIRED",
  "BUNDLE_WRONG_TENANT",
  "BUNDLE_ROLLBACK",
  "BUNDLE_UNSAFE_PATH",
  "BUNDLE_TOO_DEEP",
  "BUNDLE_LINK_ENTRY",
  "BUNDLE_SPECIAL_ENTRY",
  "BUNDLE_DUPLICATE_ENTRY",
  "BUNDLE_UNLISTED_FILE",
  "BUNDLE_MISSING_FILE",
  "BUNDLE_FILE_SIZE_MISMATCH",
  "BUNDLE_FILE_HASH_MISMATCH",
  "BUNDLE_ARCHIVE_TOO_LARGE",
  "BUNDLE_ARCHIVE_SIZE_MISMATCH",
  "BUNDLE_ARCHIVE_HASH_MISMATCH",
  "BUNDLE_UNPACKED_TOO_LARGE",
  "BUNDLE_TOO_MANY_ENTRIES",
  "BUNDLE_CORRUPT_ARCHIVE",
  "BUNDLE_ABORTED",
  "BUNDLE_DEST_EXISTS",
  "BUNDLE_IO",
  "BUNDLE_PACK_INPUT",
  "BUNDLE_BAD_KEY",
] as const;

/** One of {@link BUNDLE_ERROR_CODES}. */
export type BundleErrorCode = (typeof BUNDLE_ERROR_CODES)[number];

/**
 * The code of a rejection for `reason`. Typed so that a reason added to
 * {@link REJECT_REASONS} without its code in {@link BUNDLE_ERROR_CODES} does not compile.
 */
export function rejectionCode(reason: RejectReason): BundleErrorCode {
  return `BUNDLE_${reason.toUpperCase()}` as `BUNDLE_${Uppercase<RejectReason>}`;
}

/**
 * Base class of every error of `@recall/bundle`. `code` is stable (one of
 * {@link BUNDLE_ERROR_CODES}); the underlying error, if any, is `cause`.
 * Thrown as is for `BUNDLE_DEST_EXISTS`, `BUNDLE_IO`, `BUNDLE_PACK_INPUT` and
 * `BUNDLE_BAD_KEY`; rejections are the subclass {@link BundleRejectedError}.
 */
export class BundleError extends Error {
  /** Stable, machine-readable code, e.g. `BUNDLE_UNSAFE_PATH`. */
  readonly code: BundleErrorCode;

  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BundleError";
    this.code = code;
  }
}

/**
 * A bundle refused as a whole. Returned (never thrown) by `parseManifest`,
 * `verifyManifest`, `checkManifestPolicy` and `safeExtract` as `rejection`.
 * `code` is `BUNDLE_<REASON>`; `path` names the offending archive entry or
 * manifest file, when there is one. The message never contains key material.
 */
export class BundleRejectedError extends BundleError {
  /** Why the bundle was rejected. */
  readonly reason: RejectReason;
  /** The archive entry or manifest path concerned, if any. */
  readonly path?: string;

  constructor(reason: RejectReason, message: string, options?: { path?: string; cause?: unknown }) {
    super(rejectionCode(reason), message, options);
    this.name = "BundleRejectedError";
    this.reason = reason;
    if (options?.path !== undefined) this.path = options.path;
  }
}

/**
 * @deprecated Renamed {@link BundleRejectedError} (every error class of the
 * repo is named `XxxError`); this alias is the same class, `instanceof` included.
 */
export const BundleRejected = BundleRejectedError;
/** @deprecated Renamed {@link BundleRejectedError}. */
export type BundleRejected = BundleRejectedError;

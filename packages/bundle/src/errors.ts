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

/** Stable error codes of this package. */
export type BundleErrorCode =
  | `BUNDLE_${Uppercase<RejectReason>}`
  | "BUNDLE_DEST_EXISTS"
  | "BUNDLE_IO"
  | "BUNDLE_PACK_INPUT"
  | "BUNDLE_BAD_KEY";

/** Base class of every error of `@recall/bundle`; `code` is stable. */
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
 * `path` names the offending archive entry or manifest file, when there is one.
 * The message never contains key material.
 */
export class BundleRejected extends BundleError {
  /** Why the bundle was rejected. */
  readonly reason: RejectReason;
  /** The archive entry or manifest path concerned, if any. */
  readonly path?: string;

  constructor(reason: RejectReason, message: string, options?: { path?: string; cause?: unknown }) {
    super(`BUNDLE_${reason.toUpperCase()}` as BundleErrorCode, message, options);
    this.name = "BundleRejected";
    this.reason = reason;
    if (options?.path !== undefined) this.path = options.path;
  }
}

/** Renders an untrusted path for a message: quoted, escaped, bounded. */
export function quotePath(p: string): string {
  const s = JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p);
  return s;
}

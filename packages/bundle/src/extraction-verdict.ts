import type { RejectReason } from "./errors";
import { quotePath } from "./quote-path";

/** A rejection decided by a verdict function: reason, message, and the path concerned if any. */
export interface Verdict {
  reason: RejectReason;
  message: string;
  path?: string;
  cause?: unknown;
}

/** What is known when the pipeline failed without a rejection or I/O error already recorded. */
export interface PipelineFailure {
  /** The source stream's own `error`, if it emitted one (else `null`). */
  sourceError: unknown;
  /** gunzip's error, if it failed before the run stopped (else `null`). */
  gunzipError: Error | null;
  /** Compressed bytes read. */
  archiveBytes: number;
  /** The manifest's `archive.size`. */
  statedSize: number;
}

/**
 * Whose fault a pipeline failure is, checked in this order: the source's own
 * failure (network, disk) is an I/O error even though it reaches gunzip too
 * (`{io: cause}`); a gzip error before `archive.size` bytes arrived is a
 * short read (`archive_size_mismatch`), one after is `corrupt_archive`;
 * anything else is `{io: null}` (the pipeline's own error is the I/O error). Pure.
 */
export function pipelineFailureVerdict(f: PipelineFailure): { io: unknown } | Verdict {
  if (f.sourceError) return { io: f.sourceError };
  if (f.gunzipError && f.archiveBytes < f.statedSize) {
    return {
      reason: "archive_size_mismatch",
      message: `archive ended after ${f.archiveBytes} of the ${f.statedSize} bytes the manifest states`,
      cause: f.gunzipError,
    };
  }
  if (f.gunzipError) {
    return { reason: "corrupt_archive", message: `archive is not valid gzip: ${f.gunzipError.message}`, cause: f.gunzipError };
  }
  return { io: null };
}

/** What is known once a run ended without a rejection. */
export interface Completion {
  archiveBytes: number;
  archiveSha256: string;
  statedSize: number;
  statedSha256: string;
  /** Every path the manifest lists. */
  listed: readonly string[];
  /** The paths written and verified. */
  written: ReadonlySet<string>;
}

/**
 * The checks that can only be made at the end, in this order: the archive's
 * size (`archive_size_mismatch`) and sha256 (`archive_hash_mismatch`) against
 * the manifest, then no listed file missing (`missing_file`, `path` = the
 * first missing in sort order). `null` when the bundle is complete. Pure.
 */
export function completionVerdict(c: Completion): Verdict | null {
  if (c.archiveBytes !== c.statedSize) {
    return { reason: "archive_size_mismatch", message: `archive is ${c.archiveBytes} bytes, the manifest states ${c.statedSize}` };
  }
  if (c.archiveSha256 !== c.statedSha256) {
    return { reason: "archive_hash_mismatch", message: "archive sha256 differs from the manifest" };
  }
  const missing = c.listed.filter((p) => !c.written.has(p)).sort();
  if (missing.length > 0) {
    const first = missing[0] as string;
    return { reason: "missing_file", message: `${missing.length} listed file(s) missing, first ${quotePath(first)}`, path: first };
  }
  return null;
}
